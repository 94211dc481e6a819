import { z } from "zod";

const BearerHeader = z.string().regex(/^Bearer [\x21-\x7e]{1,512}$/);

/** The token of an `Authorization: Bearer …` header, or null when absent or malformed. */
export function bearerToken(header: string | undefined | null): string | null {
	const parsed = BearerHeader.safeParse(header);
	return parsed.success ? parsed.data.slice("Bearer ".length) : null;
}
