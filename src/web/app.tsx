import { useEffect, useState } from "preact/hooks";
import { onUnauthorized } from "./api";
import { useFocusOnChange } from "./hooks";
import { ConnectorPage } from "./pages/connector-page";
import { ConnectorsPage } from "./pages/connectors-page";
import { SignIn } from "./pages/sign-in";
import { StreamPage } from "./pages/stream-page";
import { StreamsPage } from "./pages/streams-page";
import { Link, useRoute } from "./router";
import { type Route, STREAMS_PATH } from "./routes";
import { clearToken, saveToken, savedToken } from "./session";

function NotFound() {
	const heading = useFocusOnChange<HTMLHeadingElement>("not-found");
	return (
		<>
			<h1 ref={heading} tabIndex={-1}>
				Page not found
			</h1>
			<p>
				<Link href="/">Back to Data Sources</Link>
			</p>
		</>
	);
}

function Page(props: { route: Route }) {
	const route = props.route;
	switch (route.page) {
		case "connectors":
			return <ConnectorsPage />;
		case "connector":
			return <ConnectorPage id={route.id} />;
		case "streams":
			return <StreamsPage />;
		case "stream":
			return <StreamPage stream={route.stream} />;
		case "not-found":
			return <NotFound />;
	}
}

/** The dashboard: sign-in first, then the page the URL names. */
export function App() {
	const [token, setToken] = useState(savedToken);
	const [notice, setNotice] = useState<string | null>(null);
	const route = useRoute();

	useEffect(
		() =>
			onUnauthorized(() => {
				clearToken();
				setToken(null);
				setNotice("The API refused the admin token (it may have changed). Sign in again.");
			}),
		[],
	);
	useEffect(() => {
		if (route.page === "connectors") document.title = "Data Sources · DataPool Ingest";
	}, [route]);

	if (!token) {
		return (
			<SignIn
				notice={notice}
				onSignedIn={(accepted) => {
					saveToken(accepted);
					setNotice(null);
					setToken(accepted);
				}}
			/>
		);
	}
	return (
		<>
			<a class="skip-link" href="#main">
				Skip to content
			</a>
			<header class="top">
				<Link href="/" class="brand">
					DataPool <span>Data Sources</span>
				</Link>
				<nav aria-label="Main" class="main-nav">
					<Link href="/" current={route.page === "connectors"}>
						Data Sources
					</Link>
					<Link href={STREAMS_PATH} current={route.page === "streams"}>
						Streams
					</Link>
				</nav>
				<nav aria-label="Account">
					<button
						type="button"
						class="button secondary small"
						onClick={() => {
							clearToken();
							setToken(null);
							setNotice("Signed out.");
						}}
					>
						Sign out
					</button>
				</nav>
			</header>
			<main id="main" tabIndex={-1}>
				<Page route={route} />
			</main>
		</>
	);
}
