// A request log entry's error text, split for reading: what happened, then the first problems one per line.

/** The error's summary and, for a request the stream's schema rejected, its listed problems. */
export interface LogError {
	summary: string;
	problems: string[];
}

const MARKER = " First problems: ";
// Problems are joined by "; " and each starts with its item's index ("[2].price: …"), so
// only a "; " followed by "[digits]" (or the closing "…") separates two of them; a
// message's own "; " stays in its problem.
const SEPARATOR = /; (?=\[\d+\]|…$)/;

/** Splits `INVALID_PAYLOAD: <message> First problems: [0].price: must be number; [2]: …` into its parts. */
export function splitLogError(error: string): LogError {
	const at = error.indexOf(MARKER);
	if (at < 0) return { summary: error, problems: [] };
	const listed = error.slice(at + MARKER.length).trim();
	return { summary: error.slice(0, at), problems: listed === "" ? [] : listed.split(SEPARATOR) };
}
