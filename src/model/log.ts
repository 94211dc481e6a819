type Level = "debug" | "info" | "warn" | "error";
type Fields = Record<string, unknown>;

function errorFields(error: unknown): Fields {
	if (error instanceof Error) return { error: error.message, error_name: error.name, stack: error.stack };
	return { error: String(error) };
}

/**
 * Structured JSON logs (one object per line, picked up by Workers Logs).
 * Callers pass ids and counts, never keys, tokens or item values.
 */
export function log(level: Level, message: string, fields: Fields = {}): void {
	const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...fields });
	if (level === "error") console.error(line);
	else if (level === "warn") console.warn(line);
	else console.log(line);
}

/** Logs an unexpected error with its context. */
export function logError(message: string, error: unknown, fields: Fields = {}): void {
	log("error", message, { ...fields, ...errorFields(error) });
}
