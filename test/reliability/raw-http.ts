// A bare HTTP/1.1 client on a TCP socket: the hostile corpus needs requests that fetch refuses to send
// (lying Content-Length, raw bytes in headers, bodies that dribble in).
import { connect } from "node:net";

/** A request as bytes on the wire: `head` lines without the final blank line, then `body` in `chunks`. */
export interface RawRequest {
	method: string;
	path: string;
	headers: [string, string][];
	body?: Uint8Array | string;
	/** Send the body in this many pieces, `delayMs` apart (a slow client). */
	pieces?: number;
	delayMs?: number;
	/** Leave out Content-Length (it may still be among `headers`, lying). */
	noContentLength?: boolean;
	/** Frame the body as Transfer-Encoding: chunked (implies no Content-Length). */
	chunked?: boolean;
	/** Half-close the connection once the body is sent, even if a Content-Length promised more. */
	endEarly?: boolean;
}

/** What came back: status, lower-cased headers and body text; status 0 if the server closed without answering, -1 if it did not answer in time. */
export interface RawResponse {
	status: number;
	headers: Record<string, string>;
	body: string;
}

/** A body in chunked framing: 64 KB chunks, then the last-chunk. */
function chunk(body: Buffer): Buffer {
	const parts: Buffer[] = [];
	for (let at = 0; at < body.byteLength; at += 65_536) {
		const piece = body.subarray(at, at + 65_536);
		parts.push(Buffer.from(`${piece.byteLength.toString(16)}\r\n`, "latin1"), piece, Buffer.from("\r\n", "latin1"));
	}
	parts.push(Buffer.from("0\r\n\r\n", "latin1"));
	return Buffer.concat(parts);
}

function decodeChunked(data: Buffer): Buffer {
	const out: Buffer[] = [];
	let at = 0;
	for (;;) {
		const lineEnd = data.indexOf("\r\n", at);
		if (lineEnd < 0) break;
		const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
		if (!Number.isFinite(size) || size === 0) break;
		out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
		at = lineEnd + 2 + size + 2;
	}
	return Buffer.concat(out);
}

/** Sends one request on a fresh connection (Connection: close) and reads the answer, waiting at most `timeoutMs`. */
export function rawRequest(base: string, request: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
	const url = new URL(base);
	const raw = typeof request.body === "string" ? Buffer.from(request.body, "utf8") : Buffer.from(request.body ?? new Uint8Array(0));
	const body = request.chunked ? chunk(raw) : raw;
	const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
	for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
	if (request.chunked) lines.push("Transfer-Encoding: chunked");
	else if (!request.noContentLength) lines.push(`Content-Length: ${body.byteLength}`);
	const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");

	return new Promise((resolve) => {
		const socket = connect(Number(url.port), url.hostname);
		const received: Buffer[] = [];
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			socket.destroy();
		}, timeoutMs);
		socket.on("data", (chunk: Buffer) => received.push(chunk));
		socket.on("error", () => {
			// A reset after the answer is how some servers close a refused upload; the answer is what counts.
		});
		socket.on("close", () => {
			clearTimeout(timer);
			const data = Buffer.concat(received);
			if (timedOut) return resolve({ status: -1, headers: {}, body: data.toString("latin1") });
			const split = data.indexOf("\r\n\r\n");
			if (split < 0) return resolve({ status: 0, headers: {}, body: data.toString("latin1") });
			const [statusLine = "", ...headerLines] = data.subarray(0, split).toString("latin1").split("\r\n");
			const headers: Record<string, string> = {};
			for (const line of headerLines) {
				const colon = line.indexOf(":");
				if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
			}
			const rest = data.subarray(split + 4);
			const payload = headers["transfer-encoding"]?.includes("chunked") ? decodeChunked(rest) : rest;
			resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers, body: payload.toString("utf8") });
		});
		socket.on("connect", async () => {
			socket.write(head);
			const pieces = Math.max(1, request.pieces ?? 1);
			const size = Math.ceil(body.byteLength / pieces);
			for (let i = 0; i < pieces && !socket.destroyed; i++) {
				if (i > 0) await new Promise((wait) => setTimeout(wait, request.delayMs ?? 0));
				if (!socket.destroyed) socket.write(body.subarray(i * size, (i + 1) * size));
			}
			if (request.endEarly && !socket.destroyed) socket.end();
		});
	});
}
