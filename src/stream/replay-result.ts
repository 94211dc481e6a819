import type { Outcome } from "./request-ledger";

/** What a replay did to one request: applied again (its new outcome), or why not. */
export interface ReplayResult {
	request_id: string;
	status: Outcome | "not_failed" | "incomplete" | "not_found";
	error: string | null;
}
