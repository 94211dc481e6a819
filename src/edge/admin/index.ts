import { OpenAPIHono } from "@hono/zod-openapi";
import { requireAdmin } from "../../services/auth/admin-auth";
import type { AppEnv } from "../http/context";
import { validationHook } from "../http/validation";
import { connectors } from "./connectors";
import { deadLetters } from "./dead-letters";
import { keys } from "./keys";
import { logs } from "./logs";
import { rendererTokenRoutes } from "./renderer-tokens";
import { streamItemRoutes } from "./stream-items";
import { streamRoutes } from "./streams";

/** The Data Sources admin API, all behind the admin token. */
export const admin = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

admin.use("*", requireAdmin);
admin.route("/connectors", connectors);
admin.route("/connectors", keys);
admin.route("/connectors", logs);
admin.route("/streams", streamRoutes);
admin.route("/streams", streamItemRoutes);
admin.route("/streams", rendererTokenRoutes);
admin.route("/dead-letters", deadLetters);
