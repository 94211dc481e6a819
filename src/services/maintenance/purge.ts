import { config } from "../../model/config";
import { log } from "../../model/log";
import { purgeLogs } from "../../storage/connector-logs";

/**
 * The cron trigger (hourly): deletes connector logs older than LOG_RETENTION_DAYS, in bounded pages,
 * so each run deletes about an hour's worth and a backlog is worked off over the next runs.
 */
export async function purgeOldLogs(env: Env, now = Date.now(), pages?: { pageRows?: number; maxPages?: number }): Promise<number> {
	const days = config(env).LOG_RETENTION_DAYS;
	const before = new Date(now - days * 24 * 60 * 60 * 1000).toISOString();
	const { deleted, more } = await purgeLogs(env.DB, before, pages);
	log(more ? "warn" : "info", more ? "connector logs purged in part: more left for the next run" : "connector logs purged", { deleted, before });
	return deleted;
}
