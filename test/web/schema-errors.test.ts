import { describe, expect, it } from "vitest";
import { splitLogError } from "../../src/web/log-error";
import { parseSchemaText, schemaProblems, schemaText, toPointer } from "../../src/web/schema-errors";

describe("schemaProblems", () => {
	it("places problems under schema by their JSON Pointer and keeps the rest apart", () => {
		expect(
			schemaProblems([
				{ path: ["schema"], message: "Top level must be an object schema." },
				{ path: ["schema", "properties", "a/b", "$ref"], message: "Remote $ref." },
				{ path: ["schema", "items", 0, "x~y"], message: "Nested." },
				{ path: [], message: 'Unrecognized key: "extra"' },
			]),
		).toEqual({
			problems: [
				{ pointer: "", message: "Top level must be an object schema." },
				{ pointer: "/properties/a~1b/$ref", message: "Remote $ref." },
				{ pointer: "/items/0/x~0y", message: "Nested." },
			],
			other: ['Unrecognized key: "extra"'],
		});
		expect(toPointer([])).toBe("");
	});
});

describe("parseSchemaText", () => {
	it("refuses what is not a JSON object before anything is sent: empty text, bad JSON, null, arrays", () => {
		expect(parseSchemaText("  ")).toEqual({ problem: expect.stringContaining("empty") });
		expect(parseSchemaText('{"type": "object",}')).toEqual({ problem: expect.stringMatching(/^Not valid JSON: /) });
		// null would remove the schema: it is never sent from the editor.
		expect(parseSchemaText("null")).toEqual({ problem: expect.stringContaining("a JSON object") });
		expect(parseSchemaText("[]")).toEqual({ problem: expect.stringContaining("a JSON object") });
		expect(parseSchemaText(' {"type": "object"} ')).toEqual({ schema: { type: "object" } });
	});

	it("shows a schema indented, lists of plain values on one line, and no schema as an empty editor", () => {
		const schema = {
			type: "object",
			properties: { note: { type: ["string", "null"] }, rows: { type: "array", items: {}, prefixItems: [{ type: "string" }] } },
			required: ["note"],
			enum: [],
		};
		expect(schemaText(schema)).toBe(
			[
				"{",
				'  "type": "object",',
				'  "properties": {',
				'    "note": {',
				'      "type": ["string", "null"]',
				"    },",
				'    "rows": {',
				'      "type": "array",',
				'      "items": {},',
				'      "prefixItems": [',
				"        {",
				'          "type": "string"',
				"        }",
				"      ]",
				"    }",
				"  },",
				'  "required": ["note"],',
				'  "enum": []',
				"}",
			].join("\n"),
		);
		expect(JSON.parse(schemaText(schema))).toEqual(schema);
		expect(schemaText(null)).toBe("");
	});
});

describe("splitLogError", () => {
	it("splits a schema refusal's first problems one per entry, a message's own '; ' kept", () => {
		expect(
			splitLogError(
				'INVALID_PAYLOAD: 7 of 10 items do not match the stream\'s schema. First problems: [0].price: must be number; [2]: missing required field "id"; [3].tags[1]: bad; or worse; [4].a.b: x; [5]: y; …',
			),
		).toEqual({
			summary: "INVALID_PAYLOAD: 7 of 10 items do not match the stream's schema.",
			problems: ["[0].price: must be number", '[2]: missing required field "id"', "[3].tags[1]: bad; or worse", "[4].a.b: x", "[5]: y", "…"],
		});
	});

	it("leaves any other error whole", () => {
		expect(splitLogError("QUEUE_FAILED: the queue refused the message")).toEqual({
			summary: "QUEUE_FAILED: the queue refused the message",
			problems: [],
		});
	});
});
