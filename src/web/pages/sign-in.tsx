import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, errorMessage } from "../api";
import { TextField } from "../components/text-field";

/** Asks for the admin token and checks it against the API before keeping it. */
export function SignIn(props: { notice: string | null; onSignedIn: (token: string) => void }) {
	const [token, setToken] = useState("");
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const input = useRef<HTMLInputElement | null>(null);
	useEffect(() => input.current?.focus(), []);

	async function submit(event: Event) {
		event.preventDefault();
		const candidate = token.trim();
		if (!candidate) {
			setError("Enter the admin token.");
			input.current?.focus();
			return;
		}
		setBusy(true);
		setError(null);
		try {
			await api("/api/admin/connectors", { token: candidate });
			props.onSignedIn(candidate);
		} catch (failure) {
			setError(
				failure instanceof ApiError && failure.status === 401
					? "That admin token was not accepted. Use the token `npm start` printed (or the ADMIN_TOKEN secret)."
					: errorMessage(failure),
			);
			input.current?.focus();
		} finally {
			setBusy(false);
		}
	}

	return (
		<main id="main" class="sign-in">
			<h1>Sign in to Data Sources</h1>
			<p>The dashboard uses the admin token. It is kept in this tab only, and sent to the API in a header.</p>
			{props.notice && (
				<p class="notice" role="status">
					{props.notice}
				</p>
			)}
			<form onSubmit={submit} noValidate>
				<TextField
					id="admin-token"
					label="Admin token"
					type="password"
					autoComplete="current-password"
					value={token}
					onInput={setToken}
					error={error ?? undefined}
					inputRef={(element) => {
						input.current = element;
					}}
				/>
				<button type="submit" class="button" disabled={busy}>
					{busy ? "Signing in…" : "Sign in"}
				</button>
			</form>
		</main>
	);
}
