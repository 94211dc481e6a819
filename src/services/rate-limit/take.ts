import { TtlCache } from "../auth/ttl-cache";
import { config } from "../../model/config";
import { logError } from "../../model/log";
import type { Connector } from "../../storage/connectors";
import { TokenLease } from "./lease";
import type { RateDecision, RateLimit } from "../../model/token-bucket";

// This isolate's leases, one per connector it serves; an idle one is dropped with whatever it held.
const LEASE_IDLE_MS = 10 * 60 * 1000;
const leases = new TtlCache<TokenLease>(10_000);

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
 * Takes one request from the connector's bucket, through this isolate's lease.
 * If the limiter cannot be reached the request is let through (and logged): a
 * limiter outage must not become an ingest outage. `background` (the request's
 * waitUntil) lets a request served from the lease ask for the next block ahead.
 */
export async function takeRateLimit(
	env: Env,
	connector: Connector,
	requestId: string,
	background?: (call: Promise<unknown>) => void,
): Promise<RateDecision> {
	const limit = effectiveRateLimit(env, connector);
	const lease = leases.get(connector.id) ?? new TokenLease();
	leases.set(connector.id, lease, LEASE_IDLE_MS);
	try {
		return await lease.take(
			limit,
			(request) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(connector.id)).take(limit, request),
			background,
		);
	} catch (error) {
		logError("rate limiter unavailable; request let through", error, { request_id: requestId, connector_id: connector.id });
		return { allowed: true, limit: limit.requests, remaining: limit.requests, resetSeconds: 0, retryAfterSeconds: 0 };
	}
}
