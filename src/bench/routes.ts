import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { config } from "../core/config";
import type { AppEnv } from "../http/context";
import { onNotFound } from "../http/on-error";
import { takeRateLimit } from "../rate-limit/take";
import { rateLimitHeaders } from "../rate-limit/token-bucket";
import type { Connector } from "../storage/connectors";
import { StreamName } from "../streams/names";
import { streamStub } from "../streams/stub";

/**
 * The benchmark's floor: routes that answer like a successful ingest without doing
 * its work, to measure what the real route costs on top of the runtime. They exist
 * only when BENCH_ROUTES="1" (`npm run bench` sets it; wrangler.toml never does).
 */
export const benchRoutes = new OpenAPIHono<AppEnv>();

// Stands in for a connector so the floor can make the same rate-limiter RPC as the real route.
const FLOOR_CONNECTOR: Connector = {
	id: "bench-floor",
	name: "Benchmark floor",
	stream: "bench",
	item_key: null,
	rate_limit: { requests: 1_000_000, period_seconds: 1 },
	created_at: "1970-01-01T00:00:00.000Z",
	updated_at: "1970-01-01T00:00:00.000Z",
};

benchRoutes.use(
	"*",
	createMiddleware<AppEnv>(async function benchRoutesOnly(c, next) {
		// Switched off, these paths answer exactly like any unknown route.
		if (!config(c.env).BENCH_ROUTES) return onNotFound(c);
		await next();
	}),
);

/** The same 202 body the real route sends, for one item. */
function acceptedFloor(c: Context<AppEnv>): Response {
	return c.json({ success: true, data: { stream: FLOOR_CONNECTOR.stream, items_received: 1, request_id: c.get("requestId") } }, 202);
}

// Reads the body and answers: no auth, validation, idempotency or queue.
benchRoutes.post("/floor", async (c) => {
	await c.req.arrayBuffer();
	return acceptedFloor(c);
});

// The floor plus the per-connector rate-limiter RPC, overlapped with the body read as the real route does.
benchRoutes.post("/floor-rate-limited", async (c) => {
	const limiting = takeRateLimit(c.env, FLOOR_CONNECTOR, c.get("requestId"));
	await c.req.arrayBuffer();
	const decision = await limiting;
	for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.header(name, value);
	return acceptedFloor(c);
});

// How much storage a stream's object uses, for the scale benchmark.
benchRoutes.get("/streams/:stream/storage", async (c) => {
	const stream = c.req.param("stream");
	if (!StreamName.safeParse(stream).success) return onNotFound(c);
	const bytes = await streamStub(c.env, stream).storageBytes();
	return c.json({ success: true, data: { bytes } }, 200);
});
