import { z } from "zod";
import { IngestMode } from "./payload";
import { STREAM_NAME_PATTERN, StreamName } from "./stream-name";

// The rules of a queued part, shared by the schema and the plain check below so that the two cannot drift apart.
const REQUEST_ID = /^req_[0-9a-z]{26}$/;
const BODY_HASH = /^[0-9a-f]{64}$/;
const CONNECTOR_ID_MAX = 64;
const IDEMPOTENCY_KEY_MAX = 255;
const ITEM_KEY_MAX = 128;
const PARTS_MAX = 1000;
const FORMATS = ["json", "ndjson"] as const;

/**
 * One part of one accepted request, the unit the stream core applies: what the request
 * does (`mode`), when the edge received it (its last-writer-wins stamp), and a piece of
 * its decoded body. `body` pieces, joined in `part` order, are the whole body; the stream
 * applies the request once all `parts` have arrived. The ingest queue carries each part as
 * one message, exactly this object (its `v` is the format's version).
 */
export const OperationPart = z
	.object({
		v: z.literal(1),
		request_id: z.string().regex(REQUEST_ID),
		connector_id: z.string().min(1).max(CONNECTOR_ID_MAX),
		stream: StreamName,
		received_at: z.number().int().nonnegative(),
		// 0 for a clear (an empty replace).
		items_received: z.number().int().min(0),
		// Absent in messages queued before modes existed: those are upserts.
		mode: IngestMode.default("upsert"),
		idempotency_key: z.string().min(1).max(IDEMPOTENCY_KEY_MAX).nullable(),
		body_hash: z.string().regex(BODY_HASH).nullable(),
		item_key: z.string().min(1).max(ITEM_KEY_MAX).nullable(),
		format: z.enum(FORMATS),
		part: z.number().int().nonnegative(),
		parts: z.number().int().min(1).max(PARTS_MAX),
		body: z.string(),
	})
	.refine((message) => message.part < message.parts, { message: "part must be below parts", path: ["part"] });

export type OperationPart = z.infer<typeof OperationPart>;

/** The fields every part of a request repeats. */
export type RequestEnvelope = Omit<OperationPart, "part" | "parts" | "body">;

const MODES: ReadonlySet<unknown> = new Set(IngestMode.options);
const count = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number =>
	Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
const text = (value: unknown, min: number, max: number): value is string =>
	typeof value === "string" && value.length >= min && value.length <= max;
const isFormat = (value: unknown): value is OperationPart["format"] => (FORMATS as readonly unknown[]).includes(value);

/**
 * `OperationPart.safeParse`, with a plain check first for the messages the edge writes (zod's parse of every
 * queue message showed in the consumer's profile): a message that passes every rule of the schema is copied
 * field by field, with `mode` defaulted as the schema does; any other goes through zod, for its errors.
 */
export function parseOperationPart(value: unknown): ReturnType<typeof OperationPart.safeParse> {
	if (typeof value === "object" && value !== null && !Array.isArray(value)) {
		const m = value as Record<string, unknown>;
		const mode = m.mode === undefined ? "upsert" : m.mode;
		if (
			m.v === 1 &&
			typeof m.request_id === "string" &&
			REQUEST_ID.test(m.request_id) &&
			text(m.connector_id, 1, CONNECTOR_ID_MAX) &&
			typeof m.stream === "string" &&
			STREAM_NAME_PATTERN.test(m.stream) &&
			count(m.received_at, 0) &&
			count(m.items_received, 0) &&
			MODES.has(mode) &&
			(m.idempotency_key === null || text(m.idempotency_key, 1, IDEMPOTENCY_KEY_MAX)) &&
			(m.body_hash === null || (typeof m.body_hash === "string" && BODY_HASH.test(m.body_hash))) &&
			(m.item_key === null || text(m.item_key, 1, ITEM_KEY_MAX)) &&
			isFormat(m.format) &&
			count(m.part, 0) &&
			count(m.parts, 1, PARTS_MAX) &&
			m.part < m.parts &&
			typeof m.body === "string"
		) {
			const data: OperationPart = {
				v: 1,
				request_id: m.request_id,
				connector_id: m.connector_id,
				stream: m.stream,
				received_at: m.received_at,
				items_received: m.items_received,
				mode: mode as OperationPart["mode"],
				idempotency_key: m.idempotency_key,
				body_hash: m.body_hash,
				item_key: m.item_key,
				format: m.format,
				part: m.part,
				parts: m.parts,
				body: m.body,
			};
			return { success: true, data } as ReturnType<typeof OperationPart.safeParse>;
		}
	}
	return OperationPart.safeParse(value);
}
