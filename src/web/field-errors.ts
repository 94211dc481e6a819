import type { ErrorDetail } from "./api";

/** An API validation error, split between a form's fields and the rest. */
export interface FormErrors {
	fields: Record<string, string>;
	other: string[];
}

/**
 * Places each `details` entry of a 400 on the form field its path names. `fieldOf`
 * maps API paths (joined with ".") to field names; the longest matching path
 * prefix wins, so `rate_limit.requests` and a bare `rate_limit` can both be placed.
 */
export function formErrors(details: ErrorDetail[], fieldOf: Record<string, string>): FormErrors {
	const fields: Record<string, string> = {};
	const other: string[] = [];
	for (const detail of details) {
		let field: string | undefined;
		for (let length = detail.path.length; length > 0 && field === undefined; length--) {
			field = fieldOf[detail.path.slice(0, length).join(".")];
		}
		if (field === undefined) other.push(detail.message);
		else fields[field] = fields[field] ? `${fields[field]} ${detail.message}` : detail.message;
	}
	return { fields, other };
}
