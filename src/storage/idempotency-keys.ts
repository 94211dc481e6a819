import { z } from "zod";

/** KV remembers idempotency keys this long, as the contract promises. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** What KV keeps per idempotency key, to answer repeats at the edge. */
export const IdempotencyRecord = z.object({
	request_id: z.string(),
	body_hash: z.string(),
	items_received: z.number().int(),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

/** The KV key of an idempotency key: keys are scoped to their connector. */
export function idempotencyCacheKey(connectorId: string, key: string): string {
	return `idem:${connectorId}:${key}`;
}

/** The record KV holds for a key, or null (absent, or not ours to trust). */
export async function lookupIdempotency(kv: KVNamespace, connectorId: string, key: string): Promise<IdempotencyRecord | null> {
	const parsed = IdempotencyRecord.safeParse(await kv.get(idempotencyCacheKey(connectorId, key), "json"));
	return parsed.success ? parsed.data : null;
}

/** Remembers a key for 24 h. KV is only a fast path: the stream object stays the authority. */
export async function rememberIdempotency(
	kv: KVNamespace,
	connectorId: string,
	key: string,
	record: IdempotencyRecord,
): Promise<void> {
	await kv.put(idempotencyCacheKey(connectorId, key), JSON.stringify(record), {
		expirationTtl: IDEMPOTENCY_TTL_SECONDS,
	});
}

/**
 * Drops the KV entries of requests that ended `failed`: their stream released the
 * key, and the edge must not keep answering retries with a replay of a failure.
 */
export async function forgetFailedKeys(
	env: Env,
	records: { status: string; connector_id: string; idempotency_key: string | null }[],
): Promise<void> {
	await Promise.all(
		records.flatMap((record) =>
			record.status === "failed" && record.idempotency_key !== null
				? [env.IDEMPOTENCY.delete(idempotencyCacheKey(record.connector_id, record.idempotency_key))]
				: [],
		),
	);
}
