import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ingestKeys, type IngestPrincipal } from "../../services/auth/ingest-auth";
import { bearerToken } from "../../services/auth/bearer";
import { logError } from "../../model/log";
import type { AppEnv } from "../http/context";
import { ApiError, unauthorized } from "../../model/errors";
import { validationHook } from "../http/validation";
import { rateLimitHeaders, type RateDecision } from "../../model/token-bucket";
import { type EarlierUse, idempotency } from "../../services/idempotency";
import { effectiveRateLimit, takeRateLimit } from "../../services/rate-limit/take";
import { type LogStatus, recordRequests, upsertRateLimitedWindow } from "../../storage/connector-logs";
import { readLimitedBody } from "./body-reader";
import { queueRequest } from "./enqueue";
import { parseIngestHeaders } from "./headers";
import { registerIngestDocs } from "./docs";
import { type IngestMode, decodeUtf8, parseDocument, validateItems } from "../../model/payload";
import { RateLimitedLog } from "./rate-limited-log";
import { firstProblems } from "../../model/item-problems";
import { streamSchemas } from "../../services/schemas";

type IngestEnv = AppEnv & { Variables: { rateLimit?: RateDecision } };
type IngestContext = Context<IngestEnv>;

/** What is known of a request so far, for its log entry if it is refused. */
interface Attempt {
	principal: IngestPrincipal;
	itemsReceived: number;
	idempotencyKey: string | null;
	mode: IngestMode;
}

interface Accepted {
	stream: string;
	items_received: number;
	request_id: string;
}

// This isolate's count of 429s per connector and window: a flood of them costs a few log writes, not one per request.
const rateLimitedLog = new RateLimitedLog();

export const ingest = new OpenAPIHono<IngestEnv>({ defaultHook: validationHook });

// Every ingest response that got as far as a connector carries its RateLimit-* headers, errors included.
const withRateLimitHeaders = createMiddleware<IngestEnv>(async function withRateLimitHeaders(c, next) {
	await next();
	const decision = c.get("rateLimit");
	if (decision) for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.res.headers.set(name, value);
});
ingest.use("/api/ingest", withRateLimitHeaders);
ingest.use("/api/ingest/*", withRateLimitHeaders);

ingest.post("/api/ingest", (c) => handleIngest(c, null));
ingest.post("/api/ingest/:stream", (c) => handleIngest(c, c.req.param("stream")));
registerIngestDocs(ingest.openAPIRegistry);

async function handleIngest(c: IngestContext, pathStream: string | null): Promise<Response> {
	const principal = await ingestKeys.resolve(c.env, bearerToken(c.req.header("Authorization")));
	if (!principal) throw unauthorized("A valid ingest key is required: Authorization: Bearer ik_live_….");
	const attempt: Attempt = { principal, itemsReceived: 0, idempotencyKey: null, mode: "upsert" };
	try {
		return await accept(c, attempt, pathStream);
	} catch (error) {
		const status = error instanceof ApiError ? error.status : 500;
		// A refusal with item problems names its first ones, so the connector's log says what to fix.
		const message =
			error instanceof ApiError ? `${error.code}: ${error.message}${firstProblems(error.details)}` : "INTERNAL_ERROR: the request could not be queued.";
		if (status === 429) logRateLimited(c, attempt);
		else writeLog(c, attempt, status >= 500 ? "failed" : "rejected", message, status);
		throw error;
	}
}

async function accept(c: IngestContext, attempt: Attempt, pathStream: string | null): Promise<Response> {
	const { connector } = attempt.principal;
	const requestId = c.get("requestId");

	// The limiter's round trip overlaps reading and validating the body; its verdict still comes first.
	const limiting = takeRateLimit(c.env, connector, requestId, (call) => c.executionCtx.waitUntil(call));
	const reading = readRequest(c, connector.item_key, attempt).then(
		(value) => ({ ok: true as const, value }),
		(error: unknown) => ({ ok: false as const, error }),
	);
	const decision = await limiting;
	c.set("rateLimit", decision);
	if (!decision.allowed) {
		throw new ApiError(429, "RATE_LIMITED", `Rate limit of ${decision.limit} requests exceeded; retry in ${decision.retryAfterSeconds} s.`);
	}
	if (pathStream !== null && pathStream !== connector.stream) {
		throw new ApiError(404, "STREAM_NOT_FOUND", `This key belongs to another stream than "${pathStream}".`);
	}
	const read = await reading;
	if (!read.ok) throw read.error;
	const { bytes, text, format, itemKey, mode, itemsReceived } = read.value;

	const key = attempt.idempotencyKey;
	const scope = key === null ? null : { connectorId: connector.id, stream: connector.stream, key, bodyHash: await idempotency.bodyHash(mode, bytes) };
	const cached = scope === null ? null : await idempotency.earlierUse(c.env, scope);
	if (cached) return answerRepeat(c, attempt, cached);

	const envelope = {
		v: 1 as const,
		request_id: requestId,
		connector_id: connector.id,
		stream: connector.stream,
		received_at: c.get("receivedAt"),
		items_received: itemsReceived,
		idempotency_key: key,
		body_hash: scope?.bodyHash ?? null,
		item_key: itemKey,
		format,
		mode,
	};
	await queueRequest(c.env.INGEST_QUEUE, envelope, text);

	const holder = scope === null ? null : await idempotency.claim(c.env, c.executionCtx, scope, { requestId, itemsReceived });
	if (holder) return answerRepeat(c, attempt, holder);
	return c.json({ success: true, data: accepted(connector.stream, itemsReceived, requestId) }, 202);
}

/** Reads, decodes and validates the body; fills in what the log needs as it goes. */
async function readRequest(c: IngestContext, connectorItemKey: string | null, attempt: Attempt) {
	const headers = parseIngestHeaders(c.req.raw.headers);
	attempt.idempotencyKey = headers["idempotency-key"] ?? null;
	const mode = headers["x-ingest-mode"] ?? "upsert";
	attempt.mode = mode;
	// Deletes name items by key only; upserts and replaces are checked against the stream's schema, resolved
	// (from this isolate's cache, almost always) while the body is read.
	const schema = mode === "delete" ? null : settled(streamSchemas.resolve(c.env, attempt.principal.connector.stream));
	const bytes = await readLimitedBody(c.req.raw.body, {
		contentLength: c.req.header("Content-Length"),
		gzip: headers["content-encoding"] === "gzip",
	});
	const text = decodeUtf8(bytes);
	const itemKey = headers["x-item-key"] ?? connectorItemKey;
	const document = parseDocument(text, headers["content-type"]);
	attempt.itemsReceived = Array.isArray(document) ? document.length : 1;
	const compiled = schema === null ? null : await unwrap(schema);
	const check = compiled === null ? undefined : { problems: compiled.check, failing: "do not match the stream's schema" };
	const items = validateItems(document, itemKey, mode, check);
	attempt.itemsReceived = items.length;
	return { bytes, text, format: headers["content-type"], itemKey, mode, itemsReceived: items.length };
}

type Settled<T> = Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;

/** A promise that never rejects, so one left unawaited (the body's read failed first) is no unhandled rejection. */
const settled = <T>(promise: Promise<T>): Settled<T> =>
	promise.then(
		(value) => ({ ok: true as const, value }),
		(error: unknown) => ({ ok: false as const, error }),
	);

async function unwrap<T>(result: Settled<T>): Promise<T> {
	const outcome = await result;
	if (!outcome.ok) throw outcome.error;
	return outcome.value;
}

/** A repeat of an idempotency key: a replay of the original (202) or a different body (422). */
function answerRepeat(c: IngestContext, attempt: Attempt, earlier: EarlierUse): Response {
	const { connector } = attempt.principal;
	if (!earlier.sameBody) {
		throw new ApiError(
			422,
			"IDEMPOTENCY_KEY_REUSED",
			`This Idempotency-Key was used in the last 24 h with a different body (request ${earlier.requestId}).`,
		);
	}
	writeLog(c, attempt, "duplicate", `Replay of ${earlier.requestId}.`, 202);
	c.header("Idempotent-Replayed", "true");
	return c.json({ success: true, data: accepted(connector.stream, earlier.itemsReceived, earlier.requestId) }, 202);
}

function accepted(stream: string, itemsReceived: number, requestId: string): Accepted {
	return { stream, items_received: itemsReceived, request_id: requestId };
}

function writeLog(c: IngestContext, attempt: Attempt, status: LogStatus, error: string | null, httpStatus: number): void {
	const requestId = c.get("requestId");
	c.executionCtx.waitUntil(
		recordRequests(c.env.DB, [
			{
				request_id: requestId,
				connector_id: attempt.principal.connector.id,
				received_at: new Date(c.get("receivedAt")).toISOString(),
				items_received: attempt.itemsReceived,
				status,
				error,
				idempotency_key: attempt.idempotencyKey,
				http_status: httpStatus,
				operation: attempt.mode,
			},
		]).catch((failure: unknown) => logError("connector log not written", failure, { request_id: requestId })),
	);
}

/** Counts a 429 into its connector's aggregated log entry; only the first of a window starts a write. */
function logRateLimited(c: IngestContext, attempt: Attempt): void {
	const { connector } = attempt.principal;
	const db = c.env.DB;
	const refusal = {
		connectorId: connector.id,
		requestId: c.get("requestId"),
		receivedAt: new Date(c.get("receivedAt")).toISOString(),
		limit: effectiveRateLimit(c.env, connector),
	};
	const writing = rateLimitedLog.record(refusal, (window) => upsertRateLimitedWindow(db, window));
	if (writing) c.executionCtx.waitUntil(writing);
}

