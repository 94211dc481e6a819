import { describe, expect, it } from "vitest";
import { FIELD_OF_PATH, connectorBody } from "../../src/web/connector-fields";
import { formErrors } from "../../src/web/field-errors";

describe("formErrors", () => {
	it("places each detail on the field its path names, nested paths by their longest known prefix", () => {
		const errors = formErrors(
			[
				{ path: ["stream"], message: "Bad stream." },
				{ path: ["rate_limit", "period_seconds"], message: "Too big." },
				{ path: ["rate_limit"], message: "Required." },
				{ path: ["rate_limit", "requests"], message: "Too small." },
				{ path: [], message: 'Unrecognized key: "extra"' },
			],
			FIELD_OF_PATH,
		);
		expect(errors).toEqual({
			fields: { stream: "Bad stream.", period_seconds: "Too big.", requests: "Required. Too small." },
			other: ['Unrecognized key: "extra"'],
		});
	});
});

describe("connectorBody", () => {
	it("sends empty optional fields as null and whole numbers as numbers", () => {
		expect(connectorBody({ name: "CRM", stream: " sales ", item_key: "", requests: "", period_seconds: "" }, true)).toEqual({
			name: "CRM",
			stream: "sales",
			item_key: null,
			rate_limit: null,
		});
		expect(connectorBody({ name: "CRM", stream: "sales", item_key: "region", requests: "600", period_seconds: "1.5" }, false)).toEqual({
			name: "CRM",
			item_key: "region",
			// Not a whole number: sent as typed, so the API's message says what is wrong.
			rate_limit: { requests: 600, period_seconds: "1.5" },
		});
	});
});
