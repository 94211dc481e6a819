// The hostile corpus: malformed or malicious requests, each with the answer the contract documents for it.
import { gzipSync } from "node:zlib";
import type { RawRequest } from "./raw-http.ts";

/** Who and what the corpus aims at. */
export interface Targets {
	adminToken: string;
	/** The connector under attack: item_key "id", nothing may ever be applied to its stream. */
	hostile: { connectorId: string; stream: string; key: string; rendererToken: string; revokedKey: string };
	/** Another connector whose data must never leak. */
	victim: { connectorId: string; stream: string; key: string; keyId: string; rendererTokenId: string; ticket: string };
}

/**
 * One hostile request and the answer expected: the status, and the envelope's code. Some requests
 * never reach the Worker whole, and the layers in front answer them (no envelope is possible there):
 * "HTTP" is workerd's HTTP server refusing the framing (400); "DEV-PROXY" is wrangler dev's entry
 * worker (miniflare) answering 500 text when the body stream breaks before the Worker could read it;
 * "NO-ANSWER" (status -1) is a server still waiting for the body a Content-Length promised.
 */
export interface HostileCase {
	category: string;
	name: string;
	request: RawRequest;
	status: number;
	code: string | string[];
	timeoutMs?: number;
}

const ITEM = '{"id":"hostile"}';

export function hostileCorpus(t: Targets): HostileCase[] {
	const cases: HostileCase[] = [];
	const json = (extra: [string, string][] = []): [string, string][] => [["Authorization", `Bearer ${t.hostile.key}`], ["Content-Type", "application/json"], ...extra];
	const post = (category: string, name: string, body: string | Uint8Array, status: number, code: string, options: Partial<RawRequest> = {}) =>
		cases.push({ category, name, status, code, request: { method: "POST", path: "/api/ingest", headers: json(), body, ...options } });

	// Broken JSON.
	const broken = [
		"", " ", "\n", "{", "}", "[", "]", '{"id":}', '{"id":"x",}', '[{"id":"x"},]', "{'id':'x'}", '{id:"x"}', '{"id":"x"', '{"id":"x"}}',
		'{"id":"x"}{"id":"y"}', "NaN", "Infinity", '{"id":NaN}', '{"id":undefined}', '[{"id":"x"}] trailing', '{"id":"\\u12"}', '{"id":"\\x41"}',
		'{"id":"a\nb"}', '{"id":0x10}', '{"id":01}', '{"id":1.}', '{"id":.5}', '{"id":+1}', '{"id":-}', '//c\n{"id":"x"}', '/* c */{"id":"x"}',
		'{"id":"x"} // c', "\u0000", '{"a":tru}', '{"a":nul}', "[,]", "{,}", '{"a"::1}', '{"a" 1}', "[1 2]", "\uFEFF\uFEFF{}", '{"id":"x"}\u0000',
	];
	broken.forEach((body, i) => post("broken JSON", `broken #${i}: ${JSON.stringify(body).slice(0, 40)}`, body, 400, "INVALID_PAYLOAD"));
	const ndjson = ['{"id":"x"}\n{bad}', '{"id":"x"}\n[1]', "\n\n\n", '{"id":"x"}\n5', '{"id":"x"}\n"s"', '{"id":"x"}\r\n{"id":', "[]", '[{"id":"x"}]'];
	const ndjsonHeaders: [string, string][] = [["Authorization", `Bearer ${t.hostile.key}`], ["Content-Type", "application/x-ndjson"]];
	ndjson.forEach((body, i) => post("broken NDJSON", `ndjson #${i}`, body, 400, "INVALID_PAYLOAD", { headers: ndjsonHeaders }));

	// Wrong types, missing or unusable item keys.
	const wrong = [
		"42", "true", "null", '"text"', "[]", "[1]", "[null]", "[[]]", '[{"id":"x"},1]', '["a"]', '{"id":true}', '{"id":null}', '{"id":{}}',
		'{"id":[]}', '{"id":""}', '{"id":1e400}', '{"noid":1}', '[{"id":"ok"},{"idd":"x"}]', `{"id":"${"k".repeat(513)}"}`, '{"ID":"x"}',
	];
	wrong.forEach((body, i) => post("wrong types", `wrong #${i}: ${body.slice(0, 30)}`, body, 400, "INVALID_PAYLOAD"));

	// Prototype tricks: a key reachable only through the prototype chain is no key.
	const proto = [
		'{"__proto__":{"id":"x"}}', '[{"__proto__":{"id":"x"}}]', '{"constructor":{"prototype":{"id":"x"}}}', '{"__proto__":null}',
		'{"prototype":{"id":"x"}}', '{"__proto__":{"__proto__":{"id":"x"}}}', '{"toString":"x"}', '{"hasOwnProperty":"x"}',
	];
	proto.forEach((body, i) => post("__proto__ / constructor keys", `proto #${i}`, body, 400, "INVALID_PAYLOAD"));
	post("__proto__ / constructor keys", "X-Item-Key: __proto__ on an object without an own __proto__", '{"id":"x"}', 400, "INVALID_PAYLOAD", {
		headers: json([["X-Item-Key", "__proto__"]]),
	});
	post("__proto__ / constructor keys", "X-Item-Key: constructor", '{"id":"x"}', 400, "INVALID_PAYLOAD", { headers: json([["X-Item-Key", "constructor"]]) });

	// Deep nesting.
	for (const depth of [65, 100, 1_000, 10_000, 100_000]) post("deep nesting", `arrays ${depth} deep`, "[".repeat(depth) + "]".repeat(depth), 400, "INVALID_PAYLOAD");
	for (const depth of [65, 1_000, 20_000]) post("deep nesting", `objects ${depth} deep`, '{"a":'.repeat(depth) + "1" + "}".repeat(depth), 400, "INVALID_PAYLOAD");
	post("deep nesting", "an item with a value 70 deep", `{"id":"x","v":${"[".repeat(69)}${"]".repeat(69)}}`, 400, "INVALID_PAYLOAD");

	// Huge bodies and lying lengths.
	// 19 bytes of JSON around the padding: 1,048,577 in all.
	post("huge", "1 MB + 1 byte", `{"id":"x","pad":"${"p".repeat(1_048_577 - 19)}"}`, 413, "PAYLOAD_TOO_LARGE");
	post("huge", "a 5 MB string", `{"id":"${"s".repeat(5_000_000)}"}`, 413, "PAYLOAD_TOO_LARGE");
	post("huge", "1.5 MB chunked, no Content-Length", `[${Array.from({ length: 30_000 }, (_, i) => `{"id":"k${i}","pad":"${"p".repeat(30)}"}`).join(",")}]`, 413, "PAYLOAD_TOO_LARGE", { chunked: true });
	cases.push({
		category: "huge",
		name: "Content-Length: 10,000,000 with a small body: the server waits for the rest",
		status: -1,
		code: "NO-ANSWER",
		timeoutMs: 3_000,
		request: { method: "POST", path: "/api/ingest", headers: json([["Content-Length", "10000000"]]), body: ITEM, noContentLength: true },
	});
	post("huge", "Content-Length: 99999999999999999999", ITEM, 400, "HTTP", { noContentLength: true, headers: json([["Content-Length", "99999999999999999999"]]) });
	post("huge", "Content-Length: -1", ITEM, 400, "HTTP", { noContentLength: true, headers: json([["Content-Length", "-1"]]) });
	post("huge", "Content-Length: 1e3", ITEM, 400, "HTTP", { noContentLength: true, headers: json([["Content-Length", "1e3"]]) });
	post("huge", "10,001 items", JSON.stringify(Array.from({ length: 10_001 }, (_, i) => ({ id: `k${i}` }))), 400, "INVALID_PAYLOAD");
	post("huge", "a Content-Length shorter than the body cuts it: malformed", '{"id":"x","more":1}', 400, "INVALID_PAYLOAD", { noContentLength: true, headers: json([["Content-Length", "9"]]) });
	post("huge", "a Content-Length longer than the body, then the client hangs up", ITEM, 500, "DEV-PROXY", { noContentLength: true, endEarly: true, headers: json([["Content-Length", "500"]]) });
	post("slow body", "malformed JSON dribbled in 10 pieces over 2 s", '{"id":"slow" "x":1}', 400, "INVALID_PAYLOAD", { pieces: 10, delayMs: 200 });
	post("slow body", "1.2 MB dribbled in 12 pieces", `{"id":"x","pad":"${"p".repeat(1_200_000)}"}`, 413, "PAYLOAD_TOO_LARGE", { pieces: 12, delayMs: 100, chunked: true });
	post("slow body", "an item without its key, one byte at a time", '{"name":"slow"}', 400, "INVALID_PAYLOAD", { pieces: 15, delayMs: 50 });

	// Invalid UTF-8 inside a string value.
	const badUtf8 = [[0xff], [0xfe], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0xaf], [0xc3], [0xe2, 0x82], [0xf0, 0x90, 0x8d], [0x80], [0xbf], [0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x82, 0x28], [0xf4, 0x90, 0x80, 0x80]];
	badUtf8.forEach((bytes, i) => {
		const body = Buffer.concat([Buffer.from('{"id":"'), Buffer.from(bytes), Buffer.from('"}')]);
		post("invalid UTF-8", `bytes ${Buffer.from(bytes).toString("hex")} (#${i})`, body, 400, "INVALID_PAYLOAD");
	});

	// Content encodings: only gzip, and only real gzip.
	for (const encoding of ["br", "deflate", "compress", "zstd", "gzip, br", "x-compress", "chunked", "base64"]) {
		post("content encoding", `Content-Encoding: ${encoding}`, ITEM, 400, "INVALID_PAYLOAD", { headers: json([["Content-Encoding", encoding]]) });
	}
	post("content encoding", "gzip header on plain JSON", ITEM, 400, "INVALID_PAYLOAD", { headers: json([["Content-Encoding", "gzip"]]) });
	post("content encoding", "truncated gzip", gzipSync(ITEM).subarray(0, 12), 400, "INVALID_PAYLOAD", { headers: json([["Content-Encoding", "gzip"]]) });
	post("content encoding", "gzip bomb: 50 MB of zeros", gzipSync(Buffer.alloc(50_000_000)), 413, "PAYLOAD_TOO_LARGE", { headers: json([["Content-Encoding", "gzip"]]) });
	post("content encoding", "gzip of malformed JSON", gzipSync('{"id":'), 400, "INVALID_PAYLOAD", { headers: json([["Content-Encoding", "gzip"]]) });

	// Content types.
	const auth: [string, string] = ["Authorization", `Bearer ${t.hostile.key}`];
	for (const type of [null, "text/plain", "text/json", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json-seq", "application/jsonx", "application/json, text/plain", "*/*"]) {
		cases.push({
			category: "content type",
			name: `Content-Type: ${type ?? "(none)"}`,
			status: 400,
			code: "INVALID_PAYLOAD",
			request: { method: "POST", path: "/api/ingest", headers: type === null ? [auth] : [auth, ["Content-Type", type]], body: ITEM },
		});
	}

	// Bad Idempotency-Key and X-Item-Key headers.
	const badHeaders: [string, string, string][] = [
		["Idempotency-Key", "", "empty"], ["Idempotency-Key", "k".repeat(256), "256 characters"], ["Idempotency-Key", "a\x7fb", "DEL"], ["Idempotency-Key", "a\tb", "tab"],
		["Idempotency-Key", "caf\xe9", "a latin-1 byte"], ["Idempotency-Key", "\xe2\x98\x83", "UTF-8 bytes"], ["X-Item-Key", "", "empty"], ["X-Item-Key", "a b", "a space"],
		["X-Item-Key", "k".repeat(129), "129 characters"], ["X-Item-Key", "caf\xe9", "a latin-1 byte"],
	];
	for (const [name, value, what] of badHeaders) post("bad headers", `${name} with ${what}`, ITEM, 400, "INVALID_PAYLOAD", { headers: json([[name, value]]) });

	// Header injection and request smuggling: refused by the HTTP layer or, if it lets them through, by the Worker; never applied.
	const smuggle: [string, [string, string][], Partial<RawRequest>][] = [
		["two different Content-Lengths", [["Content-Length", "3"]], {}],
		["an obs-fold continuation line", [["X-Item-Key", "id\r\n  folded"]], {}],
		["a bare CR in a header value", [["X-Item-Key", "id\rX-Evil: 1"]], {}],
		["a NUL in a header value", [["X-Item-Key", "i\u0000d"]], {}],
		["a space before the colon", [["X-Item-Key ", "id"]], {}],
		["a header name with a slash", [["X/Item", "id"]], {}],
		["a smuggled second request in the body", [], { body: `${ITEM}\r\n\r\nPOST /api/ingest HTTP/1.1\r\nHost: x\r\n\r\n` }],
	];
	cases.push({
		category: "header injection",
		name: "Content-Length and Transfer-Encoding together, the body not chunked",
		status: 500,
		code: "DEV-PROXY",
		request: { method: "POST", path: "/api/ingest", headers: json([["Transfer-Encoding", "chunked"]]), body: '{"name":"no key"}' },
	});
	for (const [name, headers, options] of smuggle) {
		cases.push({ category: "header injection", name, status: 400, code: ["HTTP", "INVALID_PAYLOAD"], request: { method: "POST", path: "/api/ingest", headers: json(headers), body: '{"name":"no key"}', ...options } });
	}

	// Forged, foreign or revoked ingest keys.
	const key = t.hostile.key;
	const flipped = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
	const forged: [string, string | null][] = [
		["no Authorization", null], ["Bearer and nothing", "Bearer"], ["Bearer and a space", "Bearer "], ["just the prefix", "Bearer ik_live_"],
		["a random key of the right shape", `Bearer ik_live_${"A".repeat(43)}`], ["the key with its last character changed", `Bearer ${flipped}`],
		["the key with a character more", `Bearer ${key}A`], ["the key with a character less", `Bearer ${key.slice(0, -1)}`],
		["the prefix upper-cased", `Bearer ${key.replace("ik_live_", "IK_LIVE_")}`], ["Basic scheme", `Basic ${Buffer.from(`${key}:`).toString("base64")}`],
		["Token scheme", `Token ${key}`], ["no scheme", key], ["two keys", `Bearer ${key}, Bearer ${key}`], ["a renderer token", `Bearer ${t.hostile.rendererToken}`],
		["the admin token", `Bearer ${t.adminToken}`], ["a revoked key", `Bearer ${t.hostile.revokedKey}`], ["a 4 KB token", `Bearer ik_live_${"A".repeat(4096)}`],
		["a ticket", `Bearer ${t.victim.ticket}`], ["a test-style rk key", `Bearer rk_live_${"A".repeat(43)}`], ["the key twice in one", `Bearer ${key}${key}`],
	];
	for (const [name, value] of forged) {
		cases.push({
			category: "forged keys",
			name,
			status: 401,
			code: "UNAUTHORIZED",
			request: { method: "POST", path: "/api/ingest", headers: [...(value === null ? [] : [["Authorization", value] as [string, string]]), ["Content-Type", "application/json"]], body: ITEM },
		});
	}

	// Another connector's stream and data.
	const as = (token: string): [string, string][] => [["Authorization", `Bearer ${token}`]];
	const foreign: [string, RawRequest, number, string][] = [
		["ingest into the victim's stream by path", { method: "POST", path: `/api/ingest/${t.victim.stream}`, headers: json(), body: ITEM }, 404, "STREAM_NOT_FOUND"],
		["the victim's key into the hostile stream by path", { method: "POST", path: `/api/ingest/${t.hostile.stream}`, headers: [["Authorization", `Bearer ${t.victim.key}`], ["Content-Type", "application/json"]], body: '{"name":"no key"}' }, 404, "STREAM_NOT_FOUND"],
		["the victim's stream upper-cased", { method: "POST", path: `/api/ingest/${t.victim.stream.toUpperCase()}`, headers: json(), body: ITEM }, 404, "STREAM_NOT_FOUND"],
		["a path with an encoded slash", { method: "POST", path: `/api/ingest/${t.hostile.stream}%2F..%2F${t.victim.stream}`, headers: json(), body: ITEM }, 404, "STREAM_NOT_FOUND"],
		["read the victim's items with an ingest key", { method: "GET", path: `/api/streams/${t.victim.stream}/items`, headers: as(t.hostile.key) }, 401, "UNAUTHORIZED"],
		["read the victim's items with another stream's renderer token", { method: "GET", path: `/api/streams/${t.victim.stream}/items`, headers: as(t.hostile.rendererToken) }, 404, "STREAM_NOT_FOUND"],
		["read the victim's items with a token in the query", { method: "GET", path: `/api/streams/${t.victim.stream}/items?token=${t.hostile.rendererToken}`, headers: [] }, 401, "UNAUTHORIZED"],
		["the victim's socket with another stream's renderer token", { method: "GET", path: `/api/streams/${t.victim.stream}/ws?token=${t.hostile.rendererToken}`, headers: [["Upgrade", "websocket"], ["Connection", "Upgrade"], ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="], ["Sec-WebSocket-Version", "13"]] }, 404, "STREAM_NOT_FOUND"],
		["the victim's socket with the admin token in the URL", { method: "GET", path: `/api/streams/${t.victim.stream}/ws?token=${t.adminToken}`, headers: [] }, 401, "UNAUTHORIZED"],
		["the victim's socket with an ingest key", { method: "GET", path: `/api/streams/${t.victim.stream}/ws?token=${t.hostile.key}`, headers: [] }, 401, "UNAUTHORIZED"],
		["the victim's items resumed with an ingest key", { method: "GET", path: `/api/streams/${t.victim.stream}/items?since=0`, headers: as(t.hostile.key) }, 401, "UNAUTHORIZED"],
		["a ticket of the victim's stream on the hostile key's stream... read as ingest", { method: "POST", path: `/api/ingest/${t.victim.stream}`, headers: [["Authorization", `Bearer ${t.victim.ticket}`], ["Content-Type", "application/json"]], body: ITEM }, 401, "UNAUTHORIZED"],
	];
	for (const [name, request, status, code] of foreign) cases.push({ category: "another connector", name, request, status, code });

	// Admin routes without the admin token.
	const v = t.victim;
	const routes: [string, string, string?][] = [
		["GET", "/api/admin/connectors"], ["POST", "/api/admin/connectors", `{"name":"evil","stream":"${v.stream}"}`], ["GET", `/api/admin/connectors/${v.connectorId}`],
		["PATCH", `/api/admin/connectors/${v.connectorId}`, '{"name":"evil"}'], ["POST", `/api/admin/connectors/${v.connectorId}/keys`], ["DELETE", `/api/admin/connectors/${v.connectorId}/keys/${v.keyId}`],
		["GET", `/api/admin/connectors/${v.connectorId}/logs`], ["POST", `/api/admin/streams/${v.stream}/tokens`], ["GET", `/api/admin/streams/${v.stream}/tokens`],
		["DELETE", `/api/admin/streams/${v.stream}/tokens/${v.rendererTokenId}`], ["POST", `/api/admin/streams/${v.stream}/tickets`], ["GET", "/api/admin/dead-letters"],
		["POST", "/api/admin/dead-letters/replay", `{"connector_id":"${v.connectorId}"}`], ["POST", `/api/admin/streams/${v.stream}/faults`, '{"site":"apply","kind":"throw"}'],
	];
	const credentials: [string, [string, string][], string][] = [
		["no token", [], ""], ["a wrong token", as("wrong"), ""], ["the admin token and a character", as(`${t.adminToken}x`), ""],
		["the admin token less a character", as(t.adminToken.slice(0, -1)), ""], ["an ingest key", as(t.hostile.key), ""], ["a renderer token", as(t.hostile.rendererToken), ""],
		["Basic with the admin token", [["Authorization", `Basic ${t.adminToken}`]], ""], ["the admin token in the query", [], `?token=${t.adminToken}`],
	];
	for (const [method, path, body] of routes) {
		for (const [what, headers, query] of credentials) {
			cases.push({
				category: "admin without the admin token",
				name: `${method} ${path.replace(/[a-z]+_[0-9a-z]+/g, ":id")} with ${what}`,
				status: 401,
				code: "UNAUTHORIZED",
				request: { method, path: `${path}${query}`, headers: body === undefined ? headers : [...headers, ["Content-Type", "application/json"]], body },
			});
		}
	}

	// Methods the ingest route does not have: 405 with Allow, the path being served.
	for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
		cases.push({ category: "methods", name: `${method} /api/ingest`, status: 405, code: "METHOD_NOT_ALLOWED", request: { method, path: "/api/ingest", headers: json(), body: method === "GET" ? undefined : ITEM } });
	}
	return cases;
}
