/** The Durable Object that owns a stream. */
export function streamStub(env: Env, stream: string) {
	return env.STREAM.get(env.STREAM.idFromName(stream));
}
