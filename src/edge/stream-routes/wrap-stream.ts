const encoder = new TextEncoder();

/**
 * `head`, then the bytes of `body` as its reader pulls them, then `tail`: one response
 * body that is never held whole, and whose pace is the client's.
 */
export function wrapStream(head: string, body: ReadableStream<Uint8Array>, tail: string): ReadableStream<Uint8Array> {
	const reader = body.getReader();
	let started = false;
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (!started) {
				started = true;
				controller.enqueue(encoder.encode(head));
				return;
			}
			const { done, value } = await reader.read();
			if (!done) {
				controller.enqueue(value);
				return;
			}
			controller.enqueue(encoder.encode(tail));
			controller.close();
		},
		cancel(reason) {
			return reader.cancel(reason);
		},
	});
}
