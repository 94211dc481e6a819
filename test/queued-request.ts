import { newRequestId } from "../src/model/ids";
import { toMessages } from "../src/edge/ingest/enqueue";
import type { OperationPart } from "../src/model/operation";

/** The queue messages of one accepted request, exactly as the edge would queue them. */
export function queuedRequest(
	connector: { id: string; stream: string },
	items: unknown[],
	options: { itemKey?: string; receivedAt?: number; requestId?: string; idempotencyKey?: string; mode?: "upsert" | "delete" | "replace" } = {},
): OperationPart[] {
	const receivedAt = options.receivedAt ?? Date.now();
	return toMessages(
		{
			v: 1,
			request_id: options.requestId ?? newRequestId(receivedAt),
			connector_id: connector.id,
			stream: connector.stream,
			received_at: receivedAt,
			items_received: items.length,
			idempotency_key: options.idempotencyKey ?? null,
			body_hash: options.idempotencyKey ? "a".repeat(64) : null,
			item_key: options.itemKey ?? null,
			format: "json",
			mode: options.mode ?? "upsert",
		},
		JSON.stringify(items),
	).map((message) => message.body);
}
