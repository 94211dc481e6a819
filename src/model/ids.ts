const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

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
 * Sortable ids, ULID-style: 10 characters of milliseconds, then random base32
 * digits. Within an isolate they are strictly increasing even inside one
 * millisecond (the random part is incremented), so ids made one after another
 * sort in the order they were made.
 */
class MonotonicIds {
	#lastTime = -1;
	#lastDigits: number[] = [];

	next(now: number, randomLength: number): string {
		let digits: number[];
		if (now === this.#lastTime && this.#lastDigits.length === randomLength) {
			digits = [...this.#lastDigits];
			let i = digits.length - 1;
			while (i >= 0 && digits[i] === 31) digits[i--] = 0;
			if (i >= 0) digits[i] = (digits[i] as number) + 1;
		} else {
			digits = Array.from(crypto.getRandomValues(new Uint8Array(randomLength)), (byte) => byte & 31);
		}
		this.#lastTime = now;
		this.#lastDigits = digits;
		return timeBase32(now) + digits.map((digit) => CROCKFORD[digit]).join("");
	}
}

const requestIds = new MonotonicIds();
const resourceIds = new MonotonicIds();

/** A request id, `req_` + 10 time characters + 16 random ones: the tie-break between requests stamped in the same ms. */
export function newRequestId(now = Date.now()): string {
	return `req_${requestIds.next(now, 16)}`;
}

/** A resource id such as `con_…`, `key_…`, `rtk_…`: sortable by creation time. */
export function newId(prefix: string, now = Date.now()): string {
	return `${prefix}_${resourceIds.next(now, 12)}`;
}
