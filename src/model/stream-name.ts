import { z } from "@hono/zod-openapi";

/** A stream name as the contract defines it. */
export const StreamName = z
	.string()
	.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "Stream names are 1–64 of a-z, 0-9, _ and -, starting with a letter or digit.")
	.openapi({ example: "sales" });
