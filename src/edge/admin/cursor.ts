import { z } from "zod";
import { invalidPayload } from "../../model/errors";

const Position = z.tuple([z.string().max(64), z.string().max(64)]);

/** A log position, `(received_at, request_id)`, as an opaque cursor. */
export function encodeCursor(position: { received_at: string; request_id: string }): string {
	return btoa(JSON.stringify([position.received_at, position.request_id]))
		.replaceAll("+", "-")
		.replaceAll("/", "_")
		.replace(/=+$/, "");
}

/** The position a cursor stands for; a cursor that was not made by `encodeCursor` is a 400. */
export function decodeCursor(cursor: string): { received_at: string; request_id: string } {
	try {
		const [received_at, request_id] = Position.parse(JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/"))));
		return { received_at, request_id };
	} catch {
		throw invalidPayload("The cursor is not valid; pass the next_cursor of a previous page.");
	}
}
