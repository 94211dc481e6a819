import type { OperationPart, RequestEnvelope } from "../../model/operation";
import { MESSAGE_BODY_BUDGET_BYTES, type TextPiece, groupForSendBatch, splitText } from "./chunking";

/**
 * Messages go as JSON, and Queues count their JSON text in UTF-8. It is the default
 * from compatibility date 2024-03-18 (`queues_json_messages`), but said outright so
 * the sizes budgeted here cannot drift to V8 serialisation, where text with one
 * character beyond U+00FF costs 2 bytes for every character.
 */
const CONTENT_TYPE = "json";

/** A queue message and its serialised size: the UTF-8 length of its JSON text. */
export interface SizedMessage {
	body: OperationPart;
	bytes: number;
}

/** The part of a queue binding that enqueue uses (a Worker's `Queue` is one). */
export interface QueueSender {
	send(body: OperationPart, options: { contentType: typeof CONTENT_TYPE }): Promise<unknown>;
	sendBatch(messages: Iterable<{ body: OperationPart; contentType: typeof CONTENT_TYPE }>): Promise<unknown>;
}

const encoder = new TextEncoder();

/** Cuts an accepted request into queue messages, each well under the 128 KB message limit once serialised. */
export function toMessages(envelope: RequestEnvelope, text: string): SizedMessage[] {
	const pieces: TextPiece[] = splitText(text);
	return pieces.map((piece, part) => {
		const body = { ...envelope, part, parts: pieces.length, body: piece.text };
		// The envelope as JSON with an empty body, plus the piece as JSON string content: the whole message.
		const frame = encoder.encode(JSON.stringify({ ...body, body: "" })).byteLength;
		return { body, bytes: frame + piece.bytes };
	});
}

/**
 * Queues every message of a request. Groups respect sendBatch's limits and are sent
 * concurrently; if any send fails the caller answers 500, and the parts that did
 * arrive are held by the stream until they time out as `failed`, never applied.
 */
export async function enqueue(queue: QueueSender, messages: SizedMessage[]): Promise<void> {
	const [only] = messages;
	if (messages.length === 1 && only) {
		await queue.send(only.body, { contentType: CONTENT_TYPE });
		return;
	}
	await Promise.all(
		groupForSendBatch(messages.map((message) => message.bytes)).map((group) =>
			queue.sendBatch(
				group.flatMap((index) => (messages[index] ? [{ body: messages[index].body, contentType: CONTENT_TYPE }] : [])),
			),
		),
	);
}

/**
 * No UTF-16 code unit takes more than 6 bytes inside a JSON string (`\\uXXXX`), so text this short fits one
 * message's body budget whatever it holds, without walking it to count.
 */
const SURELY_ONE_MESSAGE = Math.floor(MESSAGE_BODY_BUDGET_BYTES / 6);

/**
 * Queues an accepted request's text: one message, sent as it is, when the text is short enough to fit
 * whatever it holds (every 1- or 100-item request of the benchmarks); else cut and grouped by toMessages
 * and enqueue.
 */
export async function queueRequest(queue: QueueSender, envelope: RequestEnvelope, text: string): Promise<void> {
	if (text.length <= SURELY_ONE_MESSAGE) {
		await queue.send({ ...envelope, part: 0, parts: 1, body: text }, { contentType: CONTENT_TYPE });
		return;
	}
	await enqueue(queue, toMessages(envelope, text));
}
