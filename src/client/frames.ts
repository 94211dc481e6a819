import * as z from "zod/mini";

const Item = z.object({
	key: z.string(),
	value: z.record(z.string(), z.unknown()),
	seq: z.number(),
	updated_at: z.string(),
});

/** A stream item as renderers receive it. */
export type StreamItem = z.infer<typeof Item>;

/** The frames a stream object sends (see CONTRACT.md, "Renderers"). */
export const ServerFrame = z.discriminatedUnion("type", [
	z.object({ type: z.literal("snapshot"), seq: z.number(), complete: z.optional(z.boolean()), items: z.array(Item) }),
	z.object({
		type: z.literal("changes"),
		from: z.number(),
		to: z.number(),
		complete: z.optional(z.boolean()),
		items: z.array(Item),
		removed: z.optional(z.array(z.string())),
	}),
	z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
	z.object({ type: z.literal("pong") }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Parses a text frame; null for anything that is not a frame of the protocol. */
export function parseFrame(text: string): ServerFrame | null {
	try {
		const parsed = ServerFrame.safeParse(JSON.parse(text));
		return parsed.success ? parsed.data : null;
	} catch {
		return null;
	}
}
