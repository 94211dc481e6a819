import { ApiError, invalidPayload } from "../../model/errors";

/** The largest body accepted: 1 MB of decoded bytes. */
export const MAX_BODY_BYTES = 1_048_576;

// Incompressible data grows a little under gzip; twice the limit is far beyond that and still bounded.
const MAX_COMPRESSED_BYTES = 2 * MAX_BODY_BYTES;

const tooLarge = (limit: number) =>
	new ApiError(413, "PAYLOAD_TOO_LARGE", `The body is over ${limit.toLocaleString("en-US")} bytes.`);

/**
 * Counts bytes through a stream and fails it past `limit`: memory stays bounded
 * whatever the headers claim. `tripped` is set because an error passed through
 * DecompressionStream comes out as a plain Error, no longer our ApiError.
 */
function limitBytes(limit: number, guard: { tripped: boolean }): TransformStream<Uint8Array, Uint8Array> {
	let seen = 0;
	return new TransformStream({
		transform(chunk, controller) {
			seen += chunk.byteLength;
			if (seen > limit) {
				guard.tripped = true;
				controller.error(new Error("body over the limit"));
			} else controller.enqueue(chunk);
		},
	});
}

/**
 * Reads a request body of at most `limit` decoded bytes, gunzipping when `gzip` is set.
 * A declared Content-Length over the limit is refused before reading; a lying or
 * absent one does not matter because bytes are counted as they arrive (and, for
 * gzip, as they are decoded, so a gzip bomb stops after `limit` bytes of output).
 */
export async function readLimitedBody(
	body: ReadableStream<Uint8Array> | null,
	options: { contentLength: string | undefined; gzip: boolean; limit?: number },
): Promise<Uint8Array> {
	const limit = options.limit ?? MAX_BODY_BYTES;
	const declared = options.contentLength === undefined ? Number.NaN : Number(options.contentLength);
	if (!options.gzip && declared > limit) throw tooLarge(limit);
	if (body === null) return new Uint8Array(0);

	const guard = { tripped: false };
	// Decoded bytes are counted in the read loop below; only gzip needs a stream stage (on the compressed side).
	const stream = options.gzip
		? body.pipeThrough(limitBytes(Math.max(limit, MAX_COMPRESSED_BYTES), guard)).pipeThrough(new DecompressionStream("gzip"))
		: body;

	const chunks: Uint8Array[] = [];
	let total = 0;
	const reader = stream.getReader();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			total += value.byteLength;
			if (total > limit) {
				guard.tripped = true;
				// Stop the source (and a gzip bomb's decoder) instead of draining it.
				reader.cancel().catch(() => {});
				break;
			}
			chunks.push(value);
		}
	} catch {
		if (guard.tripped) throw tooLarge(limit);
		throw invalidPayload(options.gzip ? "The body is not valid gzip data." : "The body could not be read.");
	} finally {
		reader.releaseLock();
	}
	if (guard.tripped) throw tooLarge(limit);
	const [only] = chunks;
	if (chunks.length === 1 && only) return only;
	const out = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return out;
}
