import { z } from "@hono/zod-openapi";

/** An item as renderers and readers see it: its key, the object as ingested, its seq and when it was written. */
export const StreamItem = z
	.object({
		key: z.string().openapi({ example: "North" }),
		value: z.record(z.string(), z.unknown()).openapi({ example: { region: "North", revenue: 1200 } }),
		seq: z.number().int().openapi({ example: 12 }),
		updated_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("StreamItem");
export type StreamItem = z.infer<typeof StreamItem>;

/** A stream's counters, as its object reports them. */
export const StreamSummary = z.object({
	item_count: z.number().int().min(0),
	seq: z.number().int().min(0).openapi({ description: "The stream's current seq; a stream deleted and created again continues above it." }),
	last_write_at: z
		.string()
		.nullable()
		.openapi({ format: "date-time", description: "When an item was last written, deleted or cleared; null before the first write." }),
});
export type StreamSummary = z.infer<typeof StreamSummary>;
