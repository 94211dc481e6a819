import { ApiError } from "../../model/errors";
import { streamExists } from "../../storage/streams";

/** 404 for a stream that does not exist (or that the caller may not know about). */
export const streamNotFound = (stream: string) =>
	new ApiError(404, "STREAM_NOT_FOUND", `There is no stream "${stream}"; a stream exists once a connector names it.`);

/** Checks that a stream exists (its row: created with its first connector, kept until the stream is deleted), else 404. */
export async function requireStream(env: Env, stream: string): Promise<void> {
	if (!(await streamExists(env.DB, stream))) throw streamNotFound(stream);
}
