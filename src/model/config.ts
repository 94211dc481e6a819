import { z } from "zod";

// An unset or blank variable means "use the default", not 0 (which is what coercing "" gives).
const blankToUndefined = (value: unknown) => (value === null || (typeof value === "string" && value.trim() === "") ? undefined : value);

const int = (fallback: number, min: number, max: number) =>
	z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max)).catch(fallback);

const ConfigSchema = z.object({
	AUTH_CACHE_TTL_SECONDS: int(30, 0, 60),
	DEFAULT_RATE_LIMIT_REQUESTS: int(1000, 1, 1_000_000),
	DEFAULT_RATE_LIMIT_PERIOD_SECONDS: int(10, 1, 86_400),
	MAX_ITEMS_PER_STREAM: int(100_000, 1, 10_000_000),
	/** UTF-8 bytes of keys and values a stream may hold (32 MiB): its snapshot stays well inside an object's 128 MB. */
	MAX_STREAM_BYTES: int(32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
	LOG_RETENTION_DAYS: int(30, 1, 3650),
	/** How long a delete's tombstone is kept (at least 7 days): an older write arriving within it cannot bring the item back. */
	TOMBSTONE_RETENTION_DAYS: int(7, 7, 3650),
	PARTS_TIMEOUT_SECONDS: int(900, 10, 86_400),
	QUEUE_MAX_RETRIES: int(5, 0, 100),
	CHANGELOG_MAX_ENTRIES: int(10_000, 1, 10_000_000),
	CHANGELOG_MAX_AGE_SECONDS: int(86_400, 1, 30 * 86_400),
	QUEUE_RETRY_MAX_DELAY_SECONDS: int(300, 0, 43_200),
	/** Once a burst of writes is spent, a stream writes its connector-log entries to D1 at most this often (one write for all pending). */
	LOG_FLUSH_INTERVAL_MS: int(250, 0, 60_000),
});

/** Tunables read from `[vars]`, with safe fallbacks when a value is missing or out of range. */
export type Config = z.infer<typeof ConfigSchema>;

const cache = new WeakMap<object, Config>();

/** Parses the tunables once per `env` object. */
export function config(env: Partial<Record<keyof Config, unknown>>): Config {
	let parsed = cache.get(env);
	if (!parsed) {
		parsed = ConfigSchema.parse(env);
		cache.set(env, parsed);
	}
	return parsed;
}
