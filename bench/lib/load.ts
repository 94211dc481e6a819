// A fixed-duration HTTP load with autocannon against the local server.
import autocannon from "autocannon";

/** One load scenario: a POST repeated on every connection. */
export interface LoadScenario {
	url: string;
	headers: Record<string, string>;
	body: string;
	/** Headers added to each request (e.g. a fresh Idempotency-Key), on top of `headers`. */
	perRequest?: () => Record<string, string>;
	connections: number;
	seconds: number;
}

/** What a run measured. */
export interface LoadResult {
	requestsPerSecond: number;
	p50: number;
	p99: number;
	total: number;
	ok2xx: number;
	non2xx: number;
	errors: number;
	statusCodes: Record<string, number>;
}

/** Runs a scenario and summarises it. */
export async function runLoad(scenario: LoadScenario): Promise<LoadResult> {
	const { perRequest } = scenario;
	const result = await autocannon({
		url: scenario.url,
		connections: scenario.connections,
		duration: scenario.seconds,
		requests: [
			{
				method: "POST",
				headers: scenario.headers,
				body: scenario.body,
				...(perRequest ? { setupRequest: (request) => ({ ...request, headers: { ...scenario.headers, ...perRequest() } }) } : {}),
			},
		],
	});
	const statusCodes: Record<string, number> = {};
	for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
	return {
		requestsPerSecond: result.requests.average,
		p50: result.latency.p50,
		p99: result.latency.p99,
		total: result.requests.total,
		ok2xx: result["2xx"],
		non2xx: result.non2xx,
		errors: result.errors + result.timeouts,
		statusCodes,
	};
}
