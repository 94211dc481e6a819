// A scripted stand-in for the ingest API: records what the SDK sent and answers from a script.

export interface SentRequest {
	url: string;
	headers: Headers;
	body: string;
}

type Answer = Response | Error | ((request: SentRequest, signal: AbortSignal | undefined) => Response | Promise<Response>);

/** The contract's 202 answer for a request of `items` items. */
export function accepted(items: number, requestId = "req_1", headers: Record<string, string> = {}): Response {
	return Response.json(
		{ success: true, data: { stream: "sales", items_received: items, request_id: requestId } },
		{ status: 202, headers: { "X-Request-Id": requestId, ...headers } },
	);
}

/** The contract's error envelope. */
export function failed(status: number, code: string, headers: Record<string, string> = {}): Response {
	return Response.json(
		{ success: false, error: { code, message: `${code} happened.` }, request_id: "req_err" },
		{ status, headers: { "X-Request-Id": "req_err", ...headers } },
	);
}

/** A fetch that answers from `script` in order, then with `fallback` (default: 202 for the body's item count). */
export function fakeApi(script: Answer[] = [], fallback?: Answer) {
	const sent: SentRequest[] = [];
	const fetch: typeof globalThis.fetch = async (input, init) => {
		const request: SentRequest = {
			url: String(input),
			headers: new Headers(init?.headers),
			body: typeof init?.body === "string" ? init.body : "",
		};
		sent.push(request);
		const answer = script.shift() ?? fallback ?? ((r: SentRequest) => {
			const parsed: unknown = JSON.parse(r.body);
			return accepted(Array.isArray(parsed) ? parsed.length : 1, `req_${sent.length}`);
		});
		if (answer instanceof Error) throw answer;
		return typeof answer === "function" ? answer(request, init?.signal ?? undefined) : answer;
	};
	return { fetch, sent };
}

/** The contract's 400 INVALID_PAYLOAD of a request with item problems: `details` as given (any shape: the SDK must not trust it). */
export function refusedItems(details: unknown, message: string): Response {
	return Response.json(
		{ success: false, error: { code: "INVALID_PAYLOAD", message, details }, request_id: "req_bad" },
		{ status: 400, headers: { "X-Request-Id": "req_bad" } },
	);
}
