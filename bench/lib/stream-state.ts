// Reading a stream's progress through the HTTP API with the admin token.

/** The stream's current seq (reads one item). */
export async function streamSeq(url: string, adminToken: string, stream: string): Promise<number> {
	const response = await fetch(`${url}/api/streams/${stream}/items?limit=1`, { headers: { Authorization: `Bearer ${adminToken}` } });
	if (!response.ok) throw new Error(`read ${stream}: ${response.status}`);
	return ((await response.json()) as { data: { seq: number } }).data.seq;
}

/** How many items the stream holds (a full read). */
export async function streamItemCount(url: string, adminToken: string, stream: string): Promise<number> {
	const response = await fetch(`${url}/api/streams/${stream}/items`, { headers: { Authorization: `Bearer ${adminToken}` } });
	if (!response.ok) throw new Error(`read ${stream}: ${response.status}`);
	return ((await response.json()) as { data: { items: unknown[] } }).data.items.length;
}

/** Waits until the stream's seq reaches `target` or stops moving for `quietMs`; returns the last seq. */
export async function waitForSeq(
	url: string,
	adminToken: string,
	stream: string,
	target = Number.POSITIVE_INFINITY,
	quietMs = 3_000,
	timeoutMs = 300_000,
): Promise<number> {
	const deadline = Date.now() + timeoutMs;
	let last = -1;
	let since = Date.now();
	for (;;) {
		const seq = await streamSeq(url, adminToken, stream);
		if (seq >= target) return seq;
		if (seq !== last) {
			last = seq;
			since = Date.now();
		} else if (Date.now() - since > quietMs || Date.now() > deadline) return seq;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
