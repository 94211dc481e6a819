import { describe, expect, inject, it } from "vitest";

describe("npm start", () => {
	it("serves the health check and the admin API with the admin token it was given", async () => {
		const url = inject("serverUrl");
		const health = await fetch(`${url}/api/health`);
		expect(await health.json()).toEqual({ success: true, data: { status: "ok" } });

		const denied = await fetch(`${url}/api/admin/connectors`, { headers: { Authorization: "Bearer wrong" } });
		expect(denied.status).toBe(401);
		const allowed = await fetch(`${url}/api/admin/connectors`, { headers: { Authorization: `Bearer ${inject("adminToken")}` } });
		expect(allowed.status).toBe(200);
	});
});
