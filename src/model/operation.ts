import { z } from "zod";
import { IngestMode } from "./payload";
import { StreamName } from "./stream-name";

/**
 * One queue message: a part of one accepted request. `body` pieces, joined in
 * `part` order, are the request's decoded body; the stream applies the request
 * once all `parts` have arrived.
 */
export const IngestMessage = z
	.object({
		v: z.literal(1),
		request_id: z.string().regex(/^req_[0-9a-z]{26}$/),
		connector_id: z.string().min(1).max(64),
		stream: StreamName,
		received_at: z.number().int().nonnegative(),
		// 0 for a clear (an empty replace).
		items_received: z.number().int().min(0),
		// Absent in messages queued before modes existed: those are upserts.
		mode: IngestMode.default("upsert"),
		idempotency_key: z.string().min(1).max(255).nullable(),
		body_hash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
		item_key: z.string().min(1).max(128).nullable(),
		format: z.enum(["json", "ndjson"]),
		part: z.number().int().nonnegative(),
		parts: z.number().int().min(1).max(1000),
		body: z.string(),
	})
	.refine((message) => message.part < message.parts, { message: "part must be below parts", path: ["part"] });

export type IngestMessage = z.infer<typeof IngestMessage>;

/** The fields every part of a request repeats. */
export type RequestEnvelope = Omit<IngestMessage, "part" | "parts" | "body">;
