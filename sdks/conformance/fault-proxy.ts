// An HTTP proxy in front of the real server that misbehaves on cue: the network the SDKs' retries are tested
// against. Used as a module by the TypeScript tests and as a program by the Python and Go tests:
//
//   node sdks/conformance/fault-proxy.ts --upstream http://127.0.0.1:8787 --faults '["429","drop","pass"]'
//
// prints one line `{"url":"http://127.0.0.1:<port>"}` once it listens, serves `GET /__conformance/log` (what it
// did, see ProxyLog), and exits on SIGTERM, SIGINT or when its stdin closes (its parent is gone). Node 24 runs it
// as it is (type stripping); it uses nothing but Node's standard library.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseArgs } from "node:util";

/**
 * What the proxy does with one ingest request (`POST /api/ingest…`); every other request passes.
 * - `pass`: forwards it and relays the answer;
 * - `429`: answers 429 RATE_LIMITED with `Retry-After: 1` itself; the server never sees it;
 * - `503`: answers 503 INTERNAL_ERROR itself; the server never sees it;
 * - `reset`: reads the request, then destroys the connection unanswered; the server never sees it;
 * - `drop`: forwards it, waits for the server's answer, then destroys the connection: the client sees a network
 *   error for a request the server did accept;
 * - `duplicate`: forwards it twice, one after the other, and relays the second answer (a request the network
 *   delivered twice: the server must not apply it twice).
 */
export const FAULTS = ["pass", "429", "503", "reset", "drop", "duplicate"] as const;
export type Fault = (typeof FAULTS)[number];

export interface ProxiedRequest {
	fault: Fault;
	/** How many times the server saw this request: 0, 1 or 2. */
	forwarded: number;
	/** Whether the server saw it at all (`forwarded > 0`). */
	reached: boolean;
	idempotencyKey: string | undefined;
	/** `X-Ingest-Mode`, when the request sent one. */
	mode: string | undefined;
	/** The request body's size in bytes as it travelled (before any gzip decoding). */
	bodyBytes: number;
	/** The status the client was given, or null when its connection was destroyed. */
	status: number | null;
}

/** What `GET /__conformance/log` answers. */
export interface ProxyLog {
	requests: ProxiedRequest[];
	/** Faults of the plan no ingest request has taken yet. */
	unusedFaults: Fault[];
}

export interface FaultProxy {
	url: string;
	/** Every ingest request in order of arrival. */
	log: ProxiedRequest[];
	/** Faults of the plan no ingest request has taken yet. */
	unusedFaults(): Fault[];
	close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

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

function header(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return typeof value === "string" ? value : undefined;
}

async function forward(upstream: string, request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
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
	const out: Record<string, string> = {};
	// fetch() decodes gzip answers, so their Content-Encoding no longer describes the bytes relayed.
	answer.headers.forEach((value, name) => {
		if (!HOP_BY_HOP.has(name) && name !== "content-encoding") out[name] = value;
	});
	return { status: answer.status, headers: out, body: text };
}

/** Starts the proxy; ingest requests take their fault from `faults` in order of arrival, then `pass`. */
export async function startFaultProxy(upstream: string, faults: readonly Fault[]): Promise<FaultProxy> {
	const plan = [...faults];
	const log: ProxiedRequest[] = [];
	const server = createServer(async (request, response) => {
		try {
			const body = await readBody(request);
			if (request.method === "GET" && request.url === "/__conformance/log") {
				const answer: ProxyLog = { requests: log, unusedFaults: plan };
				response.writeHead(200, { "Content-Type": "application/json" });
				response.end(JSON.stringify(answer));
				return;
			}
			const isIngest = request.method === "POST" && (request.url ?? "").startsWith("/api/ingest");
			if (!isIngest) {
				const answer = await forward(upstream, request, body);
				response.writeHead(answer.status, answer.headers);
				response.end(answer.body);
				return;
			}
			const fault: Fault = plan.shift() ?? "pass";
			const entry: ProxiedRequest = {
				fault,
				forwarded: 0,
				reached: false,
				idempotencyKey: header(request, "idempotency-key"),
				mode: header(request, "x-ingest-mode"),
				bodyBytes: body.byteLength,
				status: null,
			};
			log.push(entry);
			if (fault === "429" || fault === "503") {
				entry.status = Number(fault);
				return envelope(response, entry.status, fault === "429" ? "RATE_LIMITED" : "INTERNAL_ERROR", fault === "429" ? { "Retry-After": "1" } : {});
			}
			if (fault === "reset") {
				request.socket.destroy();
				return;
			}
			let answer = await forward(upstream, request, body);
			entry.forwarded = 1;
			entry.reached = true;
			if (fault === "duplicate") {
				answer = await forward(upstream, request, body);
				entry.forwarded = 2;
			}
			if (fault === "drop") {
				request.socket.destroy();
				return;
			}
			entry.status = answer.status;
			response.writeHead(answer.status, answer.headers);
			response.end(answer.body);
		} catch (error) {
			// The upstream is unreachable or the client went away: the client sees its connection end.
			console.error(`fault-proxy: ${error instanceof Error ? error.message : String(error)}`);
			request.socket.destroy();
		}
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	if (typeof address !== "object" || address === null) throw new Error("The proxy has no TCP address.");
	return {
		url: `http://127.0.0.1:${address.port}`,
		log,
		unusedFaults: () => [...plan],
		close: () =>
			new Promise((resolve, reject) => {
				server.closeAllConnections();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}

function parseFaults(text: string): Fault[] {
	const value: unknown = JSON.parse(text);
	if (!Array.isArray(value)) throw new Error("--faults must be a JSON array");
	return value.map((fault) => {
		if (!(FAULTS as readonly unknown[]).includes(fault)) throw new Error(`unknown fault ${JSON.stringify(fault)}; known: ${FAULTS.join(", ")}`);
		return fault as Fault;
	});
}

async function main(): Promise<void> {
	const { values } = parseArgs({ options: { upstream: { type: "string" }, faults: { type: "string", default: "[]" } } });
	if (!values.upstream) throw new Error("usage: fault-proxy.ts --upstream <url> [--faults <JSON array>]");
	const proxy = await startFaultProxy(values.upstream.replace(/\/+$/, ""), parseFaults(values.faults));
	process.stdout.write(`${JSON.stringify({ url: proxy.url })}\n`);
	const stop = () => void proxy.close().finally(() => process.exit(0));
	process.on("SIGTERM", stop);
	process.on("SIGINT", stop);
	process.stdin.on("end", stop);
	process.stdin.on("error", stop);
	process.stdin.resume();
}

if (import.meta.main) {
	main().catch((error: unknown) => {
		console.error(`fault-proxy: ${error instanceof Error ? error.message : String(error)}`);
		process.exit(2);
	});
}
