import { z } from "zod";

// The scheme is case-insensitive (RFC 7235); the token is not.
const BearerHeader = z.string().regex(/^bearer [\x21-\x7e]{1,512}$/i);

/** The token of an `Authorization: Bearer …` header, or null when absent or malformed. */
export function bearerToken(header: string | undefined | null): string | null {
	const parsed = BearerHeader.safeParse(header);
	return parsed.success ? parsed.data.slice("Bearer ".length) : null;
}
