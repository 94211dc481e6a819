import { z } from "@hono/zod-openapi";
import { type ErrorDetail, invalidPayload } from "../../model/errors";
import { IngestMode, type PayloadFormat } from "../../model/payload";

const MEDIA_TYPES: Record<string, PayloadFormat> = {
	"application/json": "json",
	"application/x-ndjson": "ndjson",
};

/** The ingest request headers, as the contract defines them. */
export const IngestHeaders = z.object({
	"content-type": z
		.string({ error: "Content-Type is required: application/json or application/x-ndjson." })
		.transform((value, ctx) => {
			const format = MEDIA_TYPES[value.split(";")[0]?.trim().toLowerCase() ?? ""];
			if (!format) {
				ctx.addIssue({ code: "custom", message: "Content-Type must be application/json or application/x-ndjson." });
				return z.NEVER;
			}
			return format;
		})
		.openapi({ example: "application/json" }),
	"content-encoding": z
		.string()
		.transform((value, ctx) => {
			const encoding = value.trim().toLowerCase();
			if (encoding === "gzip" || encoding === "x-gzip") return "gzip" as const;
			if (encoding === "identity" || encoding === "") return "identity" as const;
			ctx.addIssue({ code: "custom", message: "Content-Encoding must be gzip (or absent)." });
			return z.NEVER;
		})
		.optional()
		.openapi({
			description: "gzip (x-gzip too, any case): the 1 MB limit applies to the decoded bytes; identity or absent: not encoded.",
			enum: ["gzip", "x-gzip", "identity"],
		}),
	"idempotency-key": z
		.string()
		.regex(/^[\x20-\x7e]{1,255}$/, "Idempotency-Key must be 1–255 printable ASCII characters.")
		.optional()
		.openapi({ description: "Scoped to the connector, remembered 24 hours.", example: "order-4711-v1" }),
	"x-item-key": z
		.string()
		.regex(/^[\x21-\x7e]{1,128}$/, "X-Item-Key must be a field name of 1–128 printable ASCII characters.")
		.optional()
		.openapi({ description: "The field that identifies an item; defaults to the connector's item_key.", example: "id" }),
	"x-ingest-mode": z
		.string()
		.transform((value, ctx) => {
			const mode = IngestMode.safeParse(value.trim().toLowerCase());
			if (mode.success) return mode.data;
			ctx.addIssue({ code: "custom", message: "X-Ingest-Mode must be upsert, delete or replace." });
			return z.NEVER;
		})
		.optional()
		.openapi({
			description: "What the items do: upsert (default), delete (by item key) or replace (the stream's whole content); any case.",
			enum: ["upsert", "delete", "replace"],
			example: "upsert",
		}),
});
export type IngestHeaders = z.infer<typeof IngestHeaders>;

/** Validates the headers of an ingest request; a bad one is `400 INVALID_PAYLOAD` naming it. */
export function parseIngestHeaders(headers: Headers): IngestHeaders {
	const parsed = IngestHeaders.safeParse({
		"content-type": headers.get("content-type") ?? undefined,
		"content-encoding": headers.get("content-encoding") ?? undefined,
		"idempotency-key": headers.get("idempotency-key") ?? undefined,
		"x-item-key": headers.get("x-item-key") ?? undefined,
		"x-ingest-mode": headers.get("x-ingest-mode") ?? undefined,
	});
	if (parsed.success) return parsed.data;
	const details: ErrorDetail[] = parsed.error.issues.map((issue) => ({
		path: ["headers", ...issue.path.map(String)],
		message: issue.message,
	}));
	throw invalidPayload(details[0]?.message ?? "Invalid headers.", details);
}
