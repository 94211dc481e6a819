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

// Random bytes are drawn from the runtime a pool at a time: one getRandomValues call serves many ids.
const POOL_BYTES = 1024;
let pool = new Uint8Array(0);
let poolAt = 0;

function randomDigit(): number {
	if (poolAt >= pool.length) {
		pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
		poolAt = 0;
	}
	return (pool[poolAt++] as number) & 31;
}

/**
 * Sortable ids, ULID-style: 10 characters of milliseconds, then random base32
 * digits. Within an isolate they are strictly increasing even inside one
 * millisecond (the random part is incremented), so ids made one after another
 * sort in the order they were made.
 */
class MonotonicIds {
	#lastTime = -1;
	#lastPrefix = "";
	#lastDigits: number[] = [];

	next(now: number, randomLength: number): string {
		const digits = this.#lastDigits;
		if (now === this.#lastTime && digits.length === randomLength) {
			let i = digits.length - 1;
			while (i >= 0 && digits[i] === 31) digits[i--] = 0;
			if (i >= 0) digits[i] = (digits[i] as number) + 1;
		} else {
			digits.length = randomLength;
			for (let i = 0; i < randomLength; i++) digits[i] = randomDigit();
		}
		if (now !== this.#lastTime) this.#lastPrefix = timeBase32(now);
		this.#lastTime = now;
		let out = this.#lastPrefix;
		for (const digit of digits) out += CROCKFORD[digit];
		return out;
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
