import "uplot/dist/uPlot.min.css";
import "./styles/base.css";
import "./styles/forms.css";
import "./styles/badges.css";
import "./styles/tables.css";
import "./styles/widgets.css";
import { render } from "preact";
import { App } from "./app";

const root = document.getElementById("app");
if (root) render(<App />, root);
