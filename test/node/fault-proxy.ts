// An HTTP proxy in front of the real server that misbehaves on cue, for testing clients' retries.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * What the proxy does with one ingest request:
 * - `pass`: forwards it and relays the answer;
 * - `429`: answers 429 RATE_LIMITED with `Retry-After: 1` itself;
 * - `503`: answers 503 INTERNAL_ERROR itself;
 * - `drop`: forwards it, waits for the server's answer, then destroys the connection, so the
 *   client sees a network error for a request the server did accept.
 */
export type Fault = "pass" | "429" | "503" | "drop";

export interface FaultProxy {
	url: string;
	/** The fault applied to each ingest request, in order, and whether the server saw it. */
	log: { fault: Fault; forwarded: boolean; idempotencyKey: string | undefined }[];
	close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"]);

async function readBody(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
	return Buffer.concat(chunks);
}

function envelope(response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
	const body = JSON.stringify({ success: false, error: { code, message: `Injected ${status}.` }, request_id: "req_proxy" });
	response.writeHead(status, { "Content-Type": "application/json", "X-Request-Id": "req_proxy", ...headers });
	response.end(body);
}

/** Starts the proxy; ingest requests take their fault from `faults` in order, then `pass`; other requests always pass. */
export async function startFaultProxy(upstream: string, faults: Fault[]): Promise<FaultProxy> {
	const script = [...faults];
	const log: FaultProxy["log"] = [];
	const server = createServer(async (request, response) => {
		const body = await readBody(request);
		const isIngest = request.method === "POST" && (request.url ?? "").startsWith("/api/ingest");
		const fault: Fault = isIngest ? (script.shift() ?? "pass") : "pass";
		const key = request.headers["idempotency-key"];
		if (isIngest) log.push({ fault, forwarded: fault === "pass" || fault === "drop", idempotencyKey: typeof key === "string" ? key : undefined });
		if (fault === "429") return envelope(response, 429, "RATE_LIMITED", { "Retry-After": "1" });
		if (fault === "503") return envelope(response, 503, "INTERNAL_ERROR");

		const headers = new Headers();
		for (const [name, value] of Object.entries(request.headers)) {
			if (!HOP_BY_HOP.has(name) && typeof value === "string") headers.set(name, value);
		}
		const answer = await fetch(`${upstream}${request.url ?? "/"}`, {
			method: request.method ?? "GET",
			headers,
			...(body.byteLength > 0 ? { body: new Uint8Array(body) } : {}),
		});
		const text = Buffer.from(await answer.arrayBuffer());
		if (fault === "drop") {
			request.socket.destroy();
			return;
		}
		const out: Record<string, string> = {};
		answer.headers.forEach((value, name) => {
			if (!HOP_BY_HOP.has(name)) out[name] = value;
		});
		response.writeHead(answer.status, out);
		response.end(text);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	if (typeof address !== "object" || address === null) throw new Error("The proxy has no TCP address.");
	return {
		url: `http://127.0.0.1:${address.port}`,
		log,
		close: () =>
			new Promise((resolve, reject) => {
				server.closeAllConnections();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}
