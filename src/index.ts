import { app } from "./app";
import { purgeOldLogs } from "./services/maintenance/purge";
import { consumeDeadLetters } from "./services/queue/dead-letters";
import { consumeIngest } from "./services/queue/consumer";

export { RateLimiter } from "./services/rate-limit/rate-limiter";
export { StreamObject } from "./stream/stream-object";

const worker: Required<Pick<ExportedHandler<Env>, "fetch" | "queue" | "scheduled">> = {
	fetch: app.fetch,
	async queue(batch, env) {
		if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
		else await consumeIngest(batch, env);
	},
	async scheduled(_controller, env, ctx) {
		ctx.waitUntil(purgeOldLogs(env));
	},
};

export default worker;
