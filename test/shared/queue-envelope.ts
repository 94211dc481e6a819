// The longest envelope fields a queue message can carry, with characters JSON must escape in the Idempotency-Key
// and the item key: what the queue-size tests put around a body to find the worst case.
export const longestEnvelope = () => ({
	v: 1 as const,
	request_id: "req_01jz0k3m4n5p6q7r8s9t0v1w2x",
	connector_id: "con_01jz0k3m4n5p6q7r8s9t0v1w2x",
	stream: "a-stream-name-of-the-full-sixty-four-characters-allowed-01234567",
	received_at: Date.now(),
	items_received: 1,
	mode: "upsert" as const,
	idempotency_key: '"\\'.repeat(127) + "k",
	body_hash: "a".repeat(64),
	item_key: '"\\'.repeat(64),
	format: "json" as const,
});
