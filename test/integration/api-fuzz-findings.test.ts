// What Schemathesis (scripts/api-fuzz.sh) found when it fuzzed the API from its own document, each fixed and kept fixed here.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, connectorWithKey } from "../helpers";

interface Operation {
	parameters?: { name: string; in: string }[];
	requestBody?: unknown;
	responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

async function operations(): Promise<[string, Operation][]> {
	const response = await exports.default.fetch("http://datapool.test/api/openapi.json");
	const document = await response.json<{ paths: Record<string, Record<string, Operation>> }>();
	return Object.entries(document.paths).flatMap(([path, item]) =>
		Object.entries(item).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
	);
}

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const tooLong = "0".repeat(65);

describe("found by fuzzing: a parameter its schema refuses", () => {
	it("is answered 400 INVALID_PAYLOAD, and every operation with parameters or a body documents that 400", async () => {
		for (const path of [
			`/api/admin/connectors/${tooLong}`,
			`/api/admin/streams/${tooLong}`,
			`/api/admin/streams/${tooLong}/tokens`,
		]) {
			const response = await call(path, { headers: admin });
			expect(response.status, path).toBe(400);
			expect((await response.json<{ error: { code: string } }>()).error.code).toBe("INVALID_PAYLOAD");
		}
		const documented = await operations();
		const refusing = documented.filter(([, operation]) => (operation.parameters?.length ?? 0) > 0 || operation.requestBody);
		expect(refusing.length).toBeGreaterThan(20);
		for (const [name, operation] of refusing) {
			expect(operation.responses["400"]?.content?.["application/json"]?.schema, name).toEqual({ $ref: "#/components/schemas/Error" });
		}
		for (const name of ["GET /api/admin/connectors/{id}", "DELETE /api/admin/connectors/{id}/keys/{key_id}", "POST /api/admin/streams/{stream}/tickets"]) {
			expect(Object.keys(documented.find(([n]) => n === name)?.[1].responses ?? {}), name).toContain("400");
		}
	});
});

describe("found by fuzzing: a method a path does not serve", () => {
	it("is 405 METHOD_NOT_ALLOWED with Allow listing the methods it does serve, not 404", async () => {
		const trace = await call("/api/admin/connectors", { method: "TRACE", headers: admin });
		expect(trace.status).toBe(405);
		expect(trace.headers.get("Allow")).toBe("GET, HEAD, POST, OPTIONS");
		const body = await trace.json<{ error: { code: string }; request_id: string }>();
		expect(body.error.code).toBe("METHOD_NOT_ALLOWED");
		expect(trace.headers.get("X-Request-Id")).toBe(body.request_id);

		const health = await call("/api/health", { method: "POST" });
		expect(health.status).toBe(405);
		expect(health.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");

		const { id } = await connectorWithKey();
		const put = await call(`/api/admin/connectors/${id}`, { method: "PUT", headers: admin });
		expect(put.status).toBe(405);
		expect(put.headers.get("Allow")).toBe("GET, HEAD, PATCH, DELETE, OPTIONS");
	});

	it("leaves a path no route serves 404 NOT_FOUND", async () => {
		const response = await call("/api/admin/nothing-here", { method: "POST", headers: admin });
		expect(response.status).toBe(404);
		expect((await response.json<{ error: { code: string } }>()).error.code).toBe("NOT_FOUND");
	});
});

describe("found by fuzzing: a PATCH of a connector without its required body", () => {
	it("is 400 INVALID_PAYLOAD, not a 200 that changed nothing; an empty object still is a valid PATCH", async () => {
		const { id } = await connectorWithKey();
		const bare = await call(`/api/admin/connectors/${id}`, { method: "PATCH", headers: admin });
		expect(bare.status).toBe(400);
		const body = await bare.json<{ error: { code: string; message: string } }>();
		expect(body.error.code).toBe("INVALID_PAYLOAD");
		expect(body.error.message).toMatch(/body is required/);

		const empty = await call(`/api/admin/connectors/${id}`, {
			method: "PATCH",
			headers: { ...admin, "Content-Type": "application/json" },
			body: "{}",
		});
		expect(empty.status).toBe(200);
	});
});

describe("found by fuzzing: the ingest headers with a fixed set of values", () => {
	it("document that set, so a client or fuzzer sends what the route accepts", async () => {
		const documented = await operations();
		for (const name of ["POST /api/ingest", "POST /api/ingest/{stream}"]) {
			const parameters = documented.find(([n]) => n === name)?.[1].parameters as { name: string; schema?: { enum?: string[] } }[];
			expect(parameters.find((p) => p.name === "X-Ingest-Mode")?.schema?.enum, name).toEqual(["upsert", "delete", "replace"]);
			expect(parameters.find((p) => p.name === "Content-Encoding")?.schema?.enum, name).toEqual(["gzip", "x-gzip", "identity"]);
		}
		// Each documented value is taken.
		const { key } = await connectorWithKey({ item_key: "id" });
		for (const mode of ["upsert", "delete", "replace"]) {
			const response = await call("/api/ingest", {
				method: "POST",
				headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", "X-Ingest-Mode": mode, "Content-Encoding": "identity" },
				body: JSON.stringify([{ id: "a" }]),
			});
			expect(response.status, mode).toBe(202);
		}
	});
});
