import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string) => exports.default.fetch(new Request(`http://datapool.test${path}`));

describe("the dashboard's static files", () => {
	it("serves index.html at / with a request id and a same-origin-only CSP", async () => {
		const response = await get("/");
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
		expect(response.headers.get("X-Request-Id")).toMatch(/^req_/);
		expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
		expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
		const html = await response.text();
		expect(html).toContain('<script type="module" src="/assets/app.js">');
		// No CDN: every script and stylesheet is the Worker's own.
		expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
	});

	it("serves the bundle, and index.html for client-side routes", async () => {
		const script = await get("/assets/app.js");
		expect(script.status).toBe(200);
		expect(script.headers.get("Content-Type")).toMatch(/javascript/);
		expect(await script.text()).not.toMatch(/https?:\/\/(cdn|unpkg|esm\.sh|jsdelivr)/i);

		for (const path of ["/connectors/con_anything", "/streams/sales"]) {
			const page = await get(path);
			expect(page.status, path).toBe(200);
			expect(await page.text()).toContain('<div id="app">');
		}
	});

	it("serves the renderers' client as an ES module other origins may import", async () => {
		const module = await get("/client/stream-client.js");
		expect(module.status).toBe(200);
		expect(module.headers.get("Content-Type")).toMatch(/javascript/);
		expect(module.headers.get("Access-Control-Allow-Origin")).toBe("*");
		expect(await module.text()).toMatch(/export\s*\{[^}]*StreamClient/);
	});

	it("leaves the API's unknown paths as JSON 404s", async () => {
		for (const path of ["/api", "/api/nope", "/api/admin/nope"]) {
			const response = await get(path);
			expect(response.status, path).toBe(path === "/api/admin/nope" ? 401 : 404);
			expect(response.headers.get("Content-Type"), path).toMatch(/^application\/json/);
		}
	});
});
