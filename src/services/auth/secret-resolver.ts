import { config } from "../../model/config";
import { ApiError } from "../../model/errors";
import { LookupBudget, LookupsBusy } from "./lookup-budget";
import { digestsEqual, sha256Hex } from "./secrets";
import { TtlCache } from "./ttl-cache";

/** What a stored secret grants, with the hash it was found by. */
export interface Grant {
	hash: string;
}

/** Resolves presented secrets to grants through an isolate cache. */
export interface SecretResolver<G extends Grant> {
	resolve(env: Env, secret: string | null): Promise<G | null>;
	/** Forgets one secret at once in this isolate (other isolates follow within the TTL). */
	forget(hash: string): void;
	/** Forgets every cached grant that matches, e.g. after its owner changed. */
	forgetWhere(predicate: (grant: G) => boolean): void;
}

/**
 * Builds a resolver for one kind of secret. Only the SHA-256 of a secret is looked
 * up; answers, including "unknown" (so a forged secret sent again costs no D1 read),
 * are cached for AUTH_CACHE_TTL_SECONDS, which is what bounds revocation. Lookups of
 * secrets the cache does not know go through a LookupBudget, so distinct forged
 * secrets cost a bounded number of D1 queries per second; past its queue a lookup is
 * answered 429 with Retry-After: 1.
 *
 * The hash of a secret that was granted is remembered by the secret for as long as
 * its grant may be cached, so a busy key costs no SHA-256 per request. That memo only
 * maps a secret to its hash, which never changes: what the secret grants, and whether
 * it still does (revocation, forget), is still asked of the grant cache every time.
 * Forged secrets are never memoised, so a flood of them cannot push real ones out.
 */
export function secretResolver<G extends Grant>(
	format: RegExp,
	lookupMany: (db: D1Database, hashes: string[]) => Promise<G[]>,
	budget = new LookupBudget<G>(),
): SecretResolver<G> {
	const known = new TtlCache<G>();
	// Unknown secrets get a cache of their own, so a flood of forged ones cannot push real ones out.
	const unknown = new TtlCache<true>();
	const hashes = new TtlCache<string>(1_000);
	return {
		async resolve(env, secret) {
			if (secret === null || !format.test(secret)) return null;
			const memo = hashes.get(secret);
			const hash = memo ?? (await sha256Hex(secret));
			const cached = known.get(hash);
			if (cached !== undefined) {
				if (memo === undefined) hashes.set(secret, hash, config(env).AUTH_CACHE_TTL_SECONDS * 1000);
				return cached;
			}
			if (unknown.get(hash)) return null;
			const found = await lookupWithin(budget, hash, (hashes) => lookupMany(env.DB, hashes));
			// The index lookup can only leak timing about the hash, never the secret; the final check is constant-time anyway.
			const grant = found && digestsEqual(found.hash, hash) ? found : null;
			const ttlMs = config(env).AUTH_CACHE_TTL_SECONDS * 1000;
			if (grant) {
				known.set(hash, grant, ttlMs);
				hashes.set(secret, hash, ttlMs);
			} else unknown.set(hash, true, ttlMs);
			return grant;
		},
		forget(hash) {
			known.delete(hash);
			unknown.delete(hash);
		},
		forgetWhere(predicate) {
			known.deleteWhere(predicate);
		},
	};
}

async function lookupWithin<G extends Grant>(budget: LookupBudget<G>, hash: string, many: (hashes: string[]) => Promise<G[]>) {
	try {
		return await budget.lookup(hash, many);
	} catch (error) {
		if (!(error instanceof LookupsBusy)) throw error;
		throw new ApiError(429, "RATE_LIMITED", "Too many unknown credentials are being checked; retry in 1 s.", undefined, { "Retry-After": "1" });
	}
}
