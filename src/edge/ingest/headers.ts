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

// Parsed header combinations without an Idempotency-Key (a connector sends the same few every time), by their raw
// values: zod parses each combination once per isolate. Only successes are kept, frozen, at most MEMO_ENTRIES.
const MEMO_ENTRIES = 256;
const memo = new Map<string, IngestHeaders>();
// Header values hold neither NUL nor LF (the runtime refuses them), so these separators cannot be forged.
const raw = (value: string | null) => (value === null ? "\0" : value);

/** Validates the headers of an ingest request; a bad one is `400 INVALID_PAYLOAD` naming it. */
export function parseIngestHeaders(headers: Headers): IngestHeaders {
	const values = {
		"content-type": headers.get("content-type"),
		"content-encoding": headers.get("content-encoding"),
		"idempotency-key": headers.get("idempotency-key"),
		"x-item-key": headers.get("x-item-key"),
		"x-ingest-mode": headers.get("x-ingest-mode"),
	};
	const key =
		values["idempotency-key"] === null
			? `${raw(values["content-type"])}\n${raw(values["content-encoding"])}\n${raw(values["x-item-key"])}\n${raw(values["x-ingest-mode"])}`
			: null;
	const known = key === null ? undefined : memo.get(key);
	if (known) return known;
	const parsed = IngestHeaders.safeParse({
		"content-type": values["content-type"] ?? undefined,
		"content-encoding": values["content-encoding"] ?? undefined,
		"idempotency-key": values["idempotency-key"] ?? undefined,
		"x-item-key": values["x-item-key"] ?? undefined,
		"x-ingest-mode": values["x-ingest-mode"] ?? undefined,
	});
	if (parsed.success) {
		if (key !== null) {
			if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
			memo.set(key, Object.freeze(parsed.data));
		}
		return parsed.data;
	}
	const details: ErrorDetail[] = parsed.error.issues.map((issue) => ({
		path: ["headers", ...issue.path.map(String)],
		message: issue.message,
	}));
	throw invalidPayload(details[0]?.message ?? "Invalid headers.", details);
}
