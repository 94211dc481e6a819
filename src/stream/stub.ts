/** How many stream ids an isolate keeps: idFromName hashes the name every time, and a busy isolate asks for the same few. */
const ID_CACHE_SIZE = 1000;

// Per namespace (the test Worker binds another class), the ids of recently used stream names. An id is a plain
// value, not I/O: sharing it across requests is safe (unlike a pending promise or a stub's call).
const ids = new WeakMap<DurableObjectNamespace, Map<string, DurableObjectId>>();

/** The Durable Object that owns a stream. */
export function streamStub(env: Env, stream: string) {
	const namespace = env.STREAM;
	let known = ids.get(namespace);
	if (!known) ids.set(namespace, (known = new Map()));
	let id = known.get(stream);
	if (!id) {
		id = namespace.idFromName(stream);
		// The oldest entry goes first: a Map iterates in insertion order.
		if (known.size >= ID_CACHE_SIZE) known.delete(known.keys().next().value as string);
		known.set(stream, id);
	}
	return namespace.get(id);
}
