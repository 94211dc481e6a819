import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { validationHook } from "../http/validation";
import { groupBy } from "../../services/queue/outcomes";
import { logRecord } from "../../model/log-record";
import type { LogStatus } from "../../model/log-status";
import { recordRequests } from "../../storage/connector-logs";
import { failedRequestIds, listDeadLetters, loadDeadLetters, markReplayed, replayTargets } from "../../storage/dead-letters";
import type { ReplayResult } from "../../stream/stream-object";
import { streamStub } from "../../stream/stub";

export const deadLetters = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Dead letters"];
const RequestId = z.string().regex(/^req_[0-9a-z]{26}$/, "A request id is req_ and 26 characters.");

const DeadLetter = z
	.object({
		request_id: z.string(),
		connector_id: z.string(),
		stream: z.string(),
		parts: z.number().int().openapi({ description: "How many queue messages the request travelled as." }),
		parts_dead_lettered: z.number().int().openapi({ description: "How many of them reached the dead-letter queue (the stream keeps the others of a failed request for 24 h)." }),
		dead_at: z.string().openapi({ format: "date-time" }),
		replayed_at: z.string().nullable().openapi({ format: "date-time" }),
	})
	.openapi("DeadLetter");

const ListQuery = z.object({
	connector_id: z.string().min(1).max(64).optional(),
	pending: z.enum(["true", "false"]).default("true").openapi({ description: "Only requests not replayed yet (default)." }),
	limit: z.coerce.number().int().min(1).max(500).default(100),
});

const ReplayBody = z
	.union([
		z.object({ request_ids: z.array(RequestId).min(1).max(100) }).strict(),
		z.object({ connector_id: z.string().min(1).max(64), limit: z.number().int().min(1).max(100).default(100) }).strict(),
	])
	.openapi("ReplayRequest", {
		description: "Either `request_ids` (up to 100), or `connector_id`: its oldest failed requests (up to `limit`).",
	});

const ReplayOutcome = z
	.object({
		request_id: z.string(),
		status: z.enum(["processed", "duplicate", "rejected", "failed", "not_failed", "incomplete", "not_found"]).openapi({
			description:
				"processed/duplicate/rejected/failed: the request was applied again and ended so. not_failed: it had not failed (nothing done). incomplete: parts are missing (nothing done). not_found: unknown request.",
		}),
		error: z.string().nullable(),
	})
	.openapi("ReplayOutcome");

deadLetters.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security,
		summary: "List dead-lettered requests, oldest first",
		request: { query: ListQuery },
		responses: { 200: jsonResponse(envelope(z.array(DeadLetter)), "Dead-lettered requests."), ...errorResponses(400, 401) },
	}),
	async (c) => {
		const { connector_id, pending, limit } = c.req.valid("query");
		return c.json(ok(await listDeadLetters(c.env.DB, { connectorId: connector_id, pendingOnly: pending === "true", limit })), 200);
	},
);

deadLetters.openapi(
	createRoute({
		method: "post",
		path: "/replay",
		tags,
		security,
		summary: "Replay failed requests",
		description:
			"Applies failed requests again, from their dead-lettered messages and the parts the stream kept. Each request is applied at most once: one that did not fail, or whose parts are not all at hand, is left as it is. See docs/dead-letters.md.",
		request: { body: { required: true, content: { "application/json": { schema: ReplayBody } } } },
		responses: {
			200: jsonResponse(envelope(z.object({ results: z.array(ReplayOutcome) })), "What happened to each request, in the order asked."),
			...errorResponses(400, 401),
		},
	}),
	async (c) => {
		const body = c.req.valid("json");
		const ids = "request_ids" in body ? [...new Set(body.request_ids)] : await failedRequestIds(c.env.DB, body.connector_id, body.limit);
		const targets = new Map((await replayTargets(c.env.DB, ids)).map((target) => [target.request_id, target]));
		const results = new Map<string, ReplayResult>();
		const replayable: string[] = [];
		for (const id of ids) {
			const target = targets.get(id);
			if (!target) results.set(id, { request_id: id, status: "not_found", error: "No such request." });
			// A log that says the request ended well outlives the stream's 24 h memory of it: never apply it again.
			else if (target.status !== null && target.status !== "failed" && target.status !== "queued") {
				results.set(id, { request_id: id, status: "not_failed", error: `Already ${target.status}.` });
			} else replayable.push(id);
		}
		const messages = await loadDeadLetters(c.env.DB, replayable);
		const byStream = groupBy(replayable, (id) => targets.get(id)?.stream ?? "");
		for (const [stream, group] of byStream) {
			const mine = messages.filter((message) => group.includes(message.request_id));
			for (const result of await streamStub(c.env, stream).replayRequests(group, mine)) results.set(result.request_id, result);
		}
		const settled = [...results.values()];
		// The log entries of the requests applied again, from the envelope their dead letters carry.
		const envelopes = new Map(messages.map((message) => [message.request_id, message]));
		const applied = settled.flatMap(({ request_id, status, error }) => {
			const envelope = envelopes.get(request_id);
			return envelope && isDecided(status) ? [logRecord(envelope, status, error)] : [];
		});
		await recordRequests(c.env.DB, applied);
		await markReplayed(
			c.env.DB,
			settled.filter((result) => result.status !== "failed" && result.status !== "incomplete" && result.status !== "not_found").map((result) => result.request_id),
		);
		return c.json(ok({ results: ids.map((id) => results.get(id) ?? { request_id: id, status: "not_found" as const, error: null }) }), 200);
	},
);

/** Whether a replay applied the request again (it ended one of these ways), rather than leaving it as it was. */
function isDecided(status: ReplayResult["status"]): status is Exclude<LogStatus, "queued"> {
	return status === "processed" || status === "duplicate" || status === "rejected" || status === "failed";
}
