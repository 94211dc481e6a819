import { z } from "zod";
import { IngestMode } from "./payload";
import { StreamName } from "./stream-name";

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

export type OperationPart = z.infer<typeof OperationPart>;

/** The fields every part of a request repeats. */
export type RequestEnvelope = Omit<OperationPart, "part" | "parts" | "body">;
