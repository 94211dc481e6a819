import { z } from "@hono/zod-openapi";
import { Connector, RateLimit } from "../../model/connector";
import { LogEntry } from "../../model/log-record";
import { StreamSummary } from "../../model/stream-item";
import { LOG_STATUSES } from "../../model/log-status";

export { Connector, LogEntry, RateLimit };
import { StreamName } from "../../model/stream-name";

const ItemKey = z
	.string()
	.regex(/^[\x21-\x7e]{1,128}$/, "item_key must be a field name of 1–128 printable ASCII characters.")
	.openapi({ example: "region" });

const Name = z.string().trim().min(1, "name must not be empty.").max(200).openapi({ example: "Sales CRM" });

export const CreateConnector = z
	.object({
		name: Name,
		stream: StreamName,
		item_key: ItemKey.nullable().optional(),
		rate_limit: RateLimit.nullable().optional(),
	})
	.strict()
	.openapi("CreateConnector");

export const PatchConnector = z
	.object({
		name: Name.optional(),
		item_key: ItemKey.nullable().optional(),
		rate_limit: RateLimit.nullable().optional(),
	})
	.strict()
	.openapi("PatchConnector", { description: "The stream of a connector cannot change." });

export const IngestKeyInfo = z
	.object({
		id: z.string().openapi({ example: "key_01jd2k3m4n5p6q7r8s9t0v" }),
		prefix: z.string().openapi({ example: "ik_live_Ab3x" }),
		created_at: z.string().openapi({ format: "date-time" }),
		revoked_at: z.string().nullable().openapi({ format: "date-time" }),
	})
	.openapi("IngestKey");

export const CreatedIngestKey = z
	.object({
		id: z.string(),
		key: z.string().openapi({ example: "ik_live_Ab3x…", description: "Shown once; only its SHA-256 is stored." }),
		prefix: z.string(),
		created_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("CreatedIngestKey");

const count = z.number().int().min(0);
const StatusCounts = z
	.object({ queued: count, processed: count, duplicate: count, rejected: count, failed: count })
	.openapi("StatusCounts", { description: "How many requests ended in each log status." });

export const ConnectorStats = z
	.object({
		active_keys: z.number().int().openapi({ description: "Keys that can ingest." }),
		revoked_keys: z.number().int(),
		last_request_at: z.string().nullable().openapi({ format: "date-time", description: "The newest logged request, if any." }),
		last_24h: StatusCounts.openapi({ description: "The statuses of the requests received in the last 24 hours." }),
	})
	.openapi("ConnectorStats");

export const ConnectorListQuery = z.object({
	include: z
		.enum(["stats"])
		.optional()
		.openapi({ description: "`stats` adds each connector's key counts and recent request statuses." }),
});

export const ConnectorListEntry = Connector.extend({
	stats: ConnectorStats.optional().openapi({ description: "Present with `include=stats`." }),
}).openapi("ConnectorListEntry");

export const ConnectorWithKeys = Connector.extend({ keys: z.array(IngestKeyInfo) }).openapi("ConnectorWithKeys");

export const LogQuery = z.object({
	status: z.enum(LOG_STATUSES).optional(),
	limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
	cursor: z.string().max(512).optional().openapi({ description: "`next_cursor` of the previous page." }),
});

export const LogPage = z
	.object({
		success: z.literal(true),
		data: z.array(LogEntry),
		next_cursor: z.string().nullable(),
	})
	.openapi("LogPage");

export const RendererTokenInfo = z
	.object({
		id: z.string().openapi({ example: "rtk_01jd2k3m4n5p6q7r8s9t0v" }),
		stream: StreamName,
		prefix: z.string().openapi({ example: "rk_live_Zx9q" }),
		created_at: z.string().openapi({ format: "date-time" }),
		revoked_at: z.string().nullable().openapi({ format: "date-time" }),
	})
	.openapi("RendererToken");

export const CreatedRendererToken = z
	.object({
		id: z.string(),
		token: z.string().openapi({ example: "rk_live_Zx9q…", description: "Shown once; only its SHA-256 is stored." }),
		stream: StreamName,
		prefix: z.string(),
		created_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("CreatedRendererToken");

export const Ticket = z
	.object({
		token: z.string().openapi({ example: "rk_tmp_eyJz…", description: "Opens the stream's WebSocket until expires_at." }),
		expires_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("Ticket");

export const ConnectorParams = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) });
export const KeyParams = ConnectorParams.extend({
	key_id: z.string().min(1).max(64).openapi({ param: { name: "key_id", in: "path" } }),
});
export const StreamParams = z.object({ stream: z.string().max(64).openapi({ param: { name: "stream", in: "path" }, example: "sales" }) });
export const TokenParams = StreamParams.extend({
	token_id: z.string().min(1).max(64).openapi({ param: { name: "token_id", in: "path" } }),
});

export const StreamInfo = z
	.object({
		name: StreamName,
		created_at: z.string().openapi({ format: "date-time", description: "When its first connector created it." }),
		connector_count: z.number().int().min(0).openapi({ description: "The connectors that name it." }),
		schema: z
			.record(z.string(), z.unknown())
			.nullable()
			.openapi({ description: "The stream's item schema (a JSON Schema), null when it has none." }),
	})
	.openapi("Stream");

export const StreamDetail = StreamInfo.extend(StreamSummary.shape).openapi("StreamDetail");

export const ItemParams = StreamParams.extend({
	key: z
		.string()
		.min(1)
		.max(512)
		.openapi({ param: { name: "key", in: "path" }, example: "North", description: "The item's key, URL-encoded." }),
});

export const DeleteStreamQuery = z.object({
	force: z
		.enum(["true", "false"])
		.optional()
		.openapi({ description: "`true` deletes the stream's connectors, their keys and logs too; without it a stream in use is `409 STREAM_IN_USE`." }),
});

export const ItemDeleted = z
	.object({ deleted: z.boolean().openapi({ description: "False when no item was stored under the key." }) })
	.openapi("ItemDeleted");

export const StreamCleared = z
	.object({ cleared: z.literal(true), removed: z.number().int().min(0).openapi({ description: "How many items were removed." }) })
	.openapi("StreamCleared");

export const StreamDeleted = z.object({ deleted: z.literal(true), name: StreamName }).openapi("StreamDeleted");

export const PatchStream = z
	.object({
		schema: z
			.record(z.string(), z.unknown())
			.nullable()
			.openapi({
				description:
					'The stream\'s item schema: JSON Schema draft 2020-12, top level `"type": "object"`, at most 64 KB (65,536 bytes of its JSON), every `$ref` within it (starting with `#`). `null` removes it. Checked in `upsert` and `replace` requests received from then on (within 60 s everywhere).',
				example: { type: "object", required: ["id", "price"], properties: { id: { type: "string" }, price: { type: "number", minimum: 0 } } },
			}),
	})
	.strict()
	.openapi("PatchStream");

export const StreamSchemaBody = z
	.object({
		schema: z
			.record(z.string(), z.unknown())
			.nullable()
			.openapi({ description: "The stream's item schema (JSON Schema draft 2020-12), null when it has none." }),
	})
	.openapi("StreamSchema");
