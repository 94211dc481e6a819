import { config } from "../../model/config";
import { log } from "../../model/log";
import { purgeLogs } from "../../storage/connector-logs";

/** The cron trigger: deletes connector logs older than LOG_RETENTION_DAYS. */
export async function purgeOldLogs(env: Env, now = Date.now()): Promise<number> {
	const days = config(env).LOG_RETENTION_DAYS;
	const before = new Date(now - days * 24 * 60 * 60 * 1000).toISOString();
	const deleted = await purgeLogs(env.DB, before);
	log("info", "connector logs purged", { deleted, before });
	return deleted;
}
