import type { IngestMessage, RequestEnvelope } from "../queue/messages";
import { type TextPiece, groupForSendBatch, splitText } from "./chunking";

// Room for the envelope fields around `body` in the serialised message.
const ENVELOPE_BYTES = 1024;

/** A queue message and its worst-case serialised size. */
export interface SizedMessage {
	body: IngestMessage;
	bytes: number;
}

/** Cuts an accepted request into queue messages, each well under the 128 KB message limit. */
export function toMessages(envelope: RequestEnvelope, text: string): SizedMessage[] {
	const pieces: TextPiece[] = splitText(text);
	return pieces.map((piece, part) => ({
		body: { ...envelope, part, parts: pieces.length, body: piece.text },
		bytes: piece.bytes + ENVELOPE_BYTES,
	}));
}

/**
 * Queues every message of a request. Groups respect sendBatch's limits and are sent
 * concurrently; if any send fails the caller answers 500, and the parts that did
 * arrive are held by the stream until they time out as `failed`, never applied.
 */
export async function enqueue(queue: Queue, messages: SizedMessage[]): Promise<void> {
	const [only] = messages;
	if (messages.length === 1 && only) {
		await queue.send(only.body);
		return;
	}
	await Promise.all(
		groupForSendBatch(messages.map((message) => message.bytes)).map((group) =>
			queue.sendBatch(group.flatMap((index) => (messages[index] ? [{ body: messages[index].body }] : []))),
		),
	);
}
