import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/model/errors";
import { MAX_BODY_BYTES, readLimitedBody } from "../../src/edge/ingest/body-reader";

/** A body that hands out `chunks` one read at a time, and counts the reads it was asked for. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> & { pulls: number } {
	let next = 0;
	const stream = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				body.pulls += 1;
				const chunk = chunks[next++];
				if (chunk) controller.enqueue(chunk);
				else controller.close();
			},
		},
		{ highWaterMark: 0 },
	);
	const body = Object.assign(stream, { pulls: 0 });
	return body;
}

/** A body that fails the test's expectations if anyone reads it. */
function unreadable(): ReadableStream<Uint8Array> & { pulls: number } {
	const stream = new ReadableStream<Uint8Array>(
		{
			pull() {
				body.pulls += 1;
				throw new Error("this body must not be read");
			},
		},
		{ highWaterMark: 0 },
	);
	const body = Object.assign(stream, { pulls: 0 });
	return body;
}

/** `total` bytes of `fill`, cut into chunks of `size`. */
function chunksOf(total: number, size = 64 * 1024, fill = 0x61): Uint8Array[] {
	const chunks: Uint8Array[] = [];
	for (let offset = 0; offset < total; offset += size) chunks.push(new Uint8Array(Math.min(size, total - offset)).fill(fill));
	return chunks;
}

/** `bytes` cut into chunks of `size`. */
function slices(bytes: Uint8Array, size: number): Uint8Array[] {
	const chunks: Uint8Array[] = [];
	for (let offset = 0; offset < bytes.byteLength; offset += size) chunks.push(bytes.subarray(offset, offset + size));
	return chunks;
}

async function gzip(chunks: Uint8Array[]): Promise<Uint8Array> {
	const compressed = streamOf(chunks).pipeThrough(new CompressionStream("gzip"));
	return new Uint8Array(await new Response(compressed).arrayBuffer());
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
	const error = await promise.then(
		() => undefined,
		(reason: unknown) => reason,
	);
	expect(error).toBeInstanceOf(ApiError);
	return error as ApiError;
}

async function tooLarge(promise: Promise<unknown>): Promise<void> {
	const error = await rejection(promise);
	expect(error.status).toBe(413);
	expect(error.code).toBe("PAYLOAD_TOO_LARGE");
	expect(error.message).toBe("The body is over 1,048,576 bytes.");
}

async function invalidPayload(promise: Promise<unknown>): Promise<string> {
	const error = await rejection(promise);
	expect(error.status).toBe(400);
	expect(error.code).toBe("INVALID_PAYLOAD");
	return error.message;
}

const plain = { contentLength: undefined, gzip: false };

describe("readLimitedBody (identity)", () => {
	it("is 1 MB, 1,048,576 bytes, by default", () => {
		expect(MAX_BODY_BYTES).toBe(1_048_576);
	});

	it("returns the bytes of the body, joined across chunks", async () => {
		const text = '{"a":1,"b":"Zürich"}';
		const bytes = new TextEncoder().encode(text);
		const body = streamOf([bytes.subarray(0, 3), bytes.subarray(3, 4), bytes.subarray(4)]);
		const read = await readLimitedBody(body, { contentLength: String(bytes.byteLength), gzip: false });
		expect(new TextDecoder().decode(read)).toBe(text);
	});

	it("returns no bytes for a null body", async () => {
		expect(await readLimitedBody(null, plain)).toEqual(new Uint8Array(0));
		expect(await readLimitedBody(null, { contentLength: "0", gzip: true })).toEqual(new Uint8Array(0));
	});

	it("returns no bytes for an empty stream", async () => {
		expect(await readLimitedBody(streamOf([]), plain)).toEqual(new Uint8Array(0));
	});

	it("accepts exactly 1,048,576 bytes", async () => {
		const read = await readLimitedBody(streamOf(chunksOf(MAX_BODY_BYTES)), {
			contentLength: String(MAX_BODY_BYTES),
			gzip: false,
		});
		expect(read.byteLength).toBe(MAX_BODY_BYTES);
		expect(read.every((byte) => byte === 0x61)).toBe(true);
	});

	it("refuses one byte more with 413", async () => {
		await tooLarge(readLimitedBody(streamOf(chunksOf(MAX_BODY_BYTES + 1)), plain));
	});

	it("refuses a declared Content-Length over the limit without reading the body", async () => {
		const body = unreadable();
		await tooLarge(readLimitedBody(body, { contentLength: String(MAX_BODY_BYTES + 1), gzip: false }));
		expect(body.pulls).toBe(0);
		expect(body.locked).toBe(false);
	});

	it("still counts the bytes when a small Content-Length lies", async () => {
		const body = streamOf(chunksOf(4 * MAX_BODY_BYTES));
		await tooLarge(readLimitedBody(body, { contentLength: "10", gzip: false }));
		// Reading stopped at the limit, not at the end of the body.
		expect(body.pulls).toBeLessThan(chunksOf(4 * MAX_BODY_BYTES).length);
	});

	it("counts the bytes when there is no Content-Length", async () => {
		await tooLarge(readLimitedBody(streamOf(chunksOf(2 * MAX_BODY_BYTES)), plain));
	});

	it("counts the bytes when Content-Length is not a number", async () => {
		await tooLarge(readLimitedBody(streamOf(chunksOf(2 * MAX_BODY_BYTES)), { contentLength: "lots", gzip: false }));
	});

	it("refuses a single chunk over the limit", async () => {
		await tooLarge(readLimitedBody(streamOf([new Uint8Array(MAX_BODY_BYTES + 1)]), plain));
	});

	it("applies a custom limit, naming it in the message", async () => {
		expect((await readLimitedBody(streamOf(chunksOf(10, 3)), { ...plain, limit: 10 })).byteLength).toBe(10);
		const error = await rejection(readLimitedBody(streamOf(chunksOf(11, 3)), { ...plain, limit: 10 }));
		expect(error.status).toBe(413);
		expect(error.message).toBe("The body is over 10 bytes.");
		const declared = await rejection(readLimitedBody(unreadable(), { contentLength: "11", gzip: false, limit: 10 }));
		expect(declared.status).toBe(413);
	});

	it("turns a failing body stream into 400 INVALID_PAYLOAD", async () => {
		expect(await invalidPayload(readLimitedBody(unreadable(), plain))).toBe("The body could not be read.");
	});
});

describe("readLimitedBody (gzip)", () => {
	const gzipped = { contentLength: undefined, gzip: true };

	it("decodes a gzip body", async () => {
		const text = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` })));
		const compressed = await gzip([new TextEncoder().encode(text)]);
		expect(compressed.byteLength).toBeLessThan(text.length);
		const read = await readLimitedBody(streamOf(slices(compressed, 10)), gzipped);
		expect(new TextDecoder().decode(read)).toBe(text);
	});

	it("applies the limit to the decoded bytes: exactly 1,048,576 accepted, one more refused", async () => {
		const exact = await gzip(chunksOf(MAX_BODY_BYTES));
		expect((await readLimitedBody(streamOf([exact]), gzipped)).byteLength).toBe(MAX_BODY_BYTES);
		await tooLarge(readLimitedBody(streamOf([await gzip(chunksOf(MAX_BODY_BYTES + 1))]), gzipped));
	});

	it("does not compare Content-Length, which counts compressed bytes, with the decoded limit", async () => {
		const compressed = await gzip([new TextEncoder().encode('{"a":1}')]);
		const read = await readLimitedBody(streamOf([compressed]), { contentLength: String(MAX_BODY_BYTES + 1), gzip: true });
		expect(new TextDecoder().decode(read)).toBe('{"a":1}');
	});

	it("refuses a gzip bomb with 413 once the decoded bytes pass the limit", async () => {
		const bomb = await gzip(chunksOf(20 * MAX_BODY_BYTES, 64 * 1024, 0));
		expect(bomb.byteLength).toBeLessThan(100 * 1024);
		await tooLarge(readLimitedBody(streamOf([bomb]), { contentLength: String(bomb.byteLength), gzip: true }));
		await tooLarge(readLimitedBody(streamOf(slices(bomb, 1000)), gzipped));
	});

	it("answers 413, not 400, when the compressed bytes alone pass their cap", async () => {
		const noise = new Uint8Array(2_200_000);
		for (let offset = 0; offset < noise.byteLength; offset += 65_536) {
			crypto.getRandomValues(noise.subarray(offset, Math.min(offset + 65_536, noise.byteLength)));
		}
		const compressed = await gzip([noise]);
		expect(compressed.byteLength).toBeGreaterThan(2 * MAX_BODY_BYTES);
		await tooLarge(readLimitedBody(streamOf(slices(compressed, 64 * 1024)), gzipped));
		await tooLarge(readLimitedBody(streamOf([compressed]), gzipped));
	});

	it("refuses data that is not gzip with 400", async () => {
		const message = await invalidPayload(readLimitedBody(streamOf([new TextEncoder().encode('{"a":1}')]), gzipped));
		expect(message).toBe("The body is not valid gzip data.");
	});

	it("refuses truncated gzip data with 400", async () => {
		const compressed = await gzip([new TextEncoder().encode('{"a":1}')]);
		await invalidPayload(readLimitedBody(streamOf([compressed.subarray(0, compressed.byteLength - 4)]), gzipped));
	});
});
