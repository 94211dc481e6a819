import { config } from "../core/config";
import { logError } from "../core/log";
import type { Connector } from "../storage/connectors";
import { type RateDecision, type RateLimit } from "./token-bucket";

/** The limit in force for a connector: its own, or the project default. */
export function effectiveRateLimit(env: Env, connector: Connector): RateLimit {
	const defaults = config(env);
	return (
		connector.rate_limit ?? {
			requests: defaults.DEFAULT_RATE_LIMIT_REQUESTS,
			period_seconds: defaults.DEFAULT_RATE_LIMIT_PERIOD_SECONDS,
		}
	);
}

/**
 * Takes one request from the connector's bucket. If the limiter cannot be reached
 * the request is let through (and logged): a limiter outage must not become an
 * ingest outage.
 */
export async function takeRateLimit(
	env: Env,
	connector: Connector,
	requestId: string,
): Promise<Omit<RateDecision, "state">> {
	const limit = effectiveRateLimit(env, connector);
	try {
		const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(connector.id));
		return await stub.take(limit);
	} catch (error) {
		logError("rate limiter unavailable; request let through", error, { request_id: requestId, connector_id: connector.id });
		return { allowed: true, limit: limit.requests, remaining: limit.requests, resetSeconds: 0, retryAfterSeconds: 0 };
	}
}
