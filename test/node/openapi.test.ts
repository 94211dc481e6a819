import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, inject, it } from "vitest";

describe("GET /api/openapi.json on a real server", () => {
	it("is a valid OpenAPI 3.1 document whose server is the address it was fetched from", async () => {
		const url = inject("serverUrl");
		const response = await fetch(`${url}/api/openapi.json`);
		expect(response.status).toBe(200);
		const document = (await response.json()) as Record<string, unknown>;

		// validate() checks the document against the OpenAPI 3.1 schema and resolves every $ref.
		const validator = new Validator();
		const result = await validator.validate(document);
		expect(result.errors ?? []).toEqual([]);
		expect(result.valid).toBe(true);
		expect(validator.version).toBe("3.1");
		expect(document.servers).toEqual([{ url, description: "This deployment." }]);
	});
});
