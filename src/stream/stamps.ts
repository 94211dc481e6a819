/** When and by which request a write was made at the edge: the last-writer-wins order. */
export interface WriteStamp {
	at: number;
	requestId: string;
}

/** Whether `a` was stamped before `b`: earlier edge time, or the same time and a lower request id. */
export function isOlder(a: WriteStamp, b: WriteStamp): boolean {
	return a.at < b.at || (a.at === b.at && a.requestId < b.requestId);
}
