import { z } from "@hono/zod-openapi";

/** The pattern of a stream name, for plain checks that must agree with StreamName. */
export const STREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A stream name as the contract defines it. */
export const StreamName = z
	.string()
	.regex(STREAM_NAME_PATTERN, "Stream names are 1–64 of a-z, 0-9, _ and -, starting with a letter or digit.")
	.openapi({ example: "sales" });
