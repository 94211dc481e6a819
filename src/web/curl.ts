/** The curl command that sends one example item to a connector's stream. */
export function curlExample(options: { origin: string; itemKey: string | null; key: string | null }): string {
	const item: Record<string, unknown> = options.itemKey ? { [options.itemKey]: "example-1", value: 42 } : { value: 42 };
	// Without a fresh key the command reads it from the shell, so it can be pasted as it is after one `export`.
	const authorization = options.key ?? "$INGEST_KEY";
	const body = JSON.stringify([item]).replaceAll("'", "'\\''");
	return [
		`curl -X POST "${options.origin}/api/ingest" \\`,
		`  -H "Authorization: Bearer ${authorization}" \\`,
		`  -H "Content-Type: application/json" \\`,
		`  -d '${body}'`,
	].join("\n");
}
