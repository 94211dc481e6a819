import { config } from "../core/config";
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
 * up; answers, including "unknown" (so forged secrets do not each cost a D1 read),
 * are cached for AUTH_CACHE_TTL_SECONDS, which is what bounds revocation.
 */
export function secretResolver<G extends Grant>(
	format: RegExp,
	lookup: (db: D1Database, hash: string) => Promise<G | null>,
): SecretResolver<G> {
	const cache = new TtlCache<G | null>();
	return {
		async resolve(env, secret) {
			if (secret === null || !format.test(secret)) return null;
			const hash = await sha256Hex(secret);
			const cached = cache.get(hash);
			if (cached !== undefined) return cached;
			const found = await lookup(env.DB, hash);
			// The index lookup can only leak timing about the hash, never the secret; the final check is constant-time anyway.
			const grant = found && digestsEqual(found.hash, hash) ? found : null;
			cache.set(hash, grant, config(env).AUTH_CACHE_TTL_SECONDS * 1000);
			return grant;
		},
		forget(hash) {
			cache.delete(hash);
		},
		forgetWhere(predicate) {
			cache.deleteWhere((grant) => grant !== null && predicate(grant));
		},
	};
}
