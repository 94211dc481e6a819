const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

function randomBase32(length: number): string {
	const bytes = crypto.getRandomValues(new Uint8Array(length));
	let out = "";
	for (const byte of bytes) out += CROCKFORD[byte & 31];
	return out;
}

function timeBase32(ms: number): string {
	let out = "";
	let rest = Math.floor(ms);
	for (let i = 0; i < 10; i++) {
		out = CROCKFORD[rest % 32] + out;
		rest = Math.floor(rest / 32);
	}
	return out;
}

/**
 * A request id, `req_` + 10 time characters + 16 random ones: ids sort by the time
 * they were made, which gives a stable tie-break between requests stamped in the same ms.
 */
export function newRequestId(now = Date.now()): string {
	return `req_${timeBase32(now)}${randomBase32(16)}`;
}

/** A resource id such as `con_…`, `key_…`, `rtk_…`: sortable by creation time. */
export function newId(prefix: string, now = Date.now()): string {
	return `${prefix}_${timeBase32(now)}${randomBase32(12)}`;
}
