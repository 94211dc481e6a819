import type { IngestMessage, RequestEnvelope } from "../queue/messages";
import { groupForSendBatch, serialisedBytes, splitText } from "./chunking";

// Room for the envelope fields around `body` in the serialised message.
const ENVELOPE_BYTES = 1024;

/** Cuts an accepted request into queue messages, each well under the 128 KB message limit. */
export function toMessages(envelope: RequestEnvelope, text: string): IngestMessage[] {
	const pieces = splitText(text);
	return pieces.map((body, part) => ({ ...envelope, part, parts: pieces.length, body }));
}

/**
 * Queues every message of a request. Groups respect sendBatch's limits and are sent
 * concurrently; if any send fails the caller answers 500, and the parts that did
 * arrive are held by the stream until they time out as `failed`, never applied.
 */
export async function enqueue(queue: Queue, messages: IngestMessage[]): Promise<void> {
	if (messages.length === 1) {
		await queue.send(messages[0]);
		return;
	}
	const sizes = messages.map((message) => serialisedBytes(message.body) + ENVELOPE_BYTES);
	await Promise.all(
		groupForSendBatch(sizes).map((group) => queue.sendBatch(group.map((index) => ({ body: messages[index] })))),
	);
}
