import { z } from "@hono/zod-openapi";
import { StreamName } from "./stream-name";

/** A connector's rate limit: at most `requests` per `period_seconds`. */
export const RateLimit = z
	.object({
		requests: z.number().int().min(1).max(1_000_000).openapi({ example: 600 }),
		period_seconds: z.number().int().min(1).max(86_400).openapi({ example: 60 }),
	})
	.strict()
	.openapi("RateLimit", { description: "At most `requests` per `period_seconds` (a token bucket)." });
export type RateLimit = z.infer<typeof RateLimit>;

/** A connector as the API shows it: it names one stream, and its keys ingest into it. */
export const Connector = z
	.object({
		id: z.string().openapi({ example: "con_01jd2k3m4n5p6q7r8s9t0v" }),
		name: z.string(),
		stream: StreamName,
		item_key: z.string().nullable(),
		rate_limit: RateLimit.nullable(),
		created_at: z.string().openapi({ format: "date-time" }),
		updated_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("Connector");
export type Connector = z.infer<typeof Connector>;
