import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Browser, openBrowser, screenshot } from "./browser";

const url = inject("serverUrl");
const adminToken = inject("adminToken");
const stream = `e2e-${Date.now().toString(36)}`;

/** Sends items with an ingest key, as a client of the API would. */
function ingest(key: string, body: unknown): Promise<Response> {
	return fetch(`${url}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
}

/** Whether the page can be scrolled sideways (the layout is wider than the viewport). */
function overflowsSideways(browser: Browser): Promise<boolean> {
	return browser.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

describe("the Data Sources dashboard in Chromium", () => {
	let browser: Browser;
	const requested = new Set<string>();
	const pageErrors: string[] = [];
	let connectorPath = "";
	let key = "";

	beforeAll(async () => {
		browser = await openBrowser(url);
		browser.page.on("request", (request) => requested.add(new URL(request.url()).origin));
		browser.page.on("pageerror", (error) => pageErrors.push(error.message));
		browser.page.on("console", (message) => {
			// The API's deliberate 4xx answers (wrong token, invalid form) are logged by Chromium; anything else is a fault.
			if (message.type() === "error" && !/status of 40[014]/.test(message.text())) pageErrors.push(message.text());
		});
	});
	afterAll(async () => {
		await browser?.close();
	});

	it("refuses a wrong admin token with a clear message, then signs in with the keyboard", async () => {
		const { page } = browser;
		await page.goto(`${url}/`);
		const token = page.getByLabel("Admin token");
		await token.waitFor();
		// The field has focus on arrival: type and press Enter, no mouse.
		await page.keyboard.type("not-the-admin-token");
		await page.keyboard.press("Enter");
		await page.getByText("That admin token was not accepted").waitFor();
		expect(await token.getAttribute("aria-invalid")).toBe("true");
		await screenshot(page, "01-sign-in-wrong-token");

		await token.fill(adminToken);
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Data Sources", exact: true }).waitFor();
		expect(await page.evaluate(() => sessionStorage.getItem("datapool.admin-token"))).toBe(adminToken);
		expect(page.url()).not.toContain(adminToken);
	});

	it("shows the API's validation errors inline, then creates a connector", async () => {
		const { page } = browser;
		await page.getByLabel("Name").fill("Sales CRM");
		await page.getByLabel("Stream").fill("Not A Stream!");
		await page.getByLabel("Item key (optional)").fill("region");
		await page.getByLabel("Requests").fill("0");
		await page.getByLabel("Per seconds").fill("60");
		await page.getByRole("button", { name: "Create connector" }).click();
		await page.locator("#new-stream-error").waitFor();
		expect(await page.locator("#new-stream-error").textContent()).toContain("Stream names are 1–64");
		expect(await page.locator("#new-requests-error").isVisible()).toBe(true);
		// Focus moves to the first field in error.
		expect(await page.evaluate(() => document.activeElement?.id)).toBe("new-stream");
		await screenshot(page, "02-new-connector-errors");

		await page.getByLabel("Stream").fill(stream);
		await page.getByLabel("Requests").fill("600");
		await page.getByRole("button", { name: "Create connector" }).click();
		await page.getByRole("heading", { level: 1, name: "Sales CRM" }).waitFor();
		connectorPath = new URL(page.url()).pathname;
		expect(connectorPath).toMatch(/^\/connectors\/con_/);
	});

	it("edits the settings with PATCH, with the API's errors inline", async () => {
		const { page } = browser;
		const requests = page.getByLabel("Requests");
		await requests.fill("many");
		await page.getByRole("button", { name: "Save settings" }).click();
		await page.locator("#settings-requests-error").waitFor();
		expect(await requests.getAttribute("aria-invalid")).toBe("true");

		await requests.fill("1200");
		await page.getByRole("button", { name: "Save settings" }).click();
		await page.getByText("Settings saved.").waitFor();
		expect(await page.locator("#settings-requests-error").count()).toBe(0);
		await page.reload();
		await page.getByRole("heading", { level: 1, name: "Sales CRM" }).waitFor();
		expect(await page.getByLabel("Requests").inputValue()).toBe("1200");
	});

	it("creates a key, shown once with a warning, and copies it to the clipboard", async () => {
		const { page } = browser;
		await page.getByRole("button", { name: "Create key" }).click();
		await page.getByText("it will not be shown again").waitFor();
		const shown = await page.locator("#fresh-key").inputValue();
		expect(shown).toMatch(/^ik_live_[A-Za-z0-9_-]{43}$/);

		await page.getByRole("button", { name: "Copy key" }).click();
		await page.getByText("Copied", { exact: true }).waitFor();
		key = await page.evaluate(() => navigator.clipboard.readText());
		expect(key).toBe(shown);
		// The curl example uses this server and the fresh key.
		const curl = await page.locator("pre.code").textContent();
		expect(curl).toContain(`curl -X POST "${url}/api/ingest"`);
		expect(curl).toContain(`Bearer ${key}`);
		expect(curl).toContain('"region":"example-1"');
		await screenshot(page, "03-connector-new-key");
	});

	it("shows an ingested request in the log, live, as processed; filters by status", async () => {
		const { page } = browser;
		const response = await ingest(key, [
			{ region: "North", revenue: 1200 },
			{ region: "South", revenue: 800 },
		]);
		expect(response.status).toBe(202);
		const { data } = (await response.json()) as { data: { request_id: string } };
		const row = page.locator(`tr[data-request-id="${data.request_id}"]`);
		await page.locator(`tr[data-request-id="${data.request_id}"][data-status="processed"]`).waitFor({ timeout: 20_000 });
		expect(await row.textContent()).toContain("processed");
		expect(await row.locator('[data-label="Items"]').textContent()).toBe("2");

		const rejected = await ingest(key, [{ revenue: 5 }]);
		expect(rejected.status).toBe(400);
		await page.locator('tr[data-status="rejected"]').waitFor({ timeout: 20_000 });
		await page.getByLabel("Status").selectOption("rejected");
		await page.locator(`tr[data-request-id="${data.request_id}"]`).waitFor({ state: "detached" });
		await page.locator('tr[data-status="rejected"]').waitFor();
		expect(await page.locator("tr[data-status]").count()).toBe(1);
		expect(await page.locator('tr[data-status="rejected"]').textContent()).toContain("INVALID_PAYLOAD");
		await page.getByLabel("Status").selectOption("");
		await row.waitFor();
		await screenshot(page, "04-connector-logs");
	});

	it("lists the connector with its stream, keys, last request and 24 h statuses", async () => {
		const { page } = browser;
		await page.getByRole("link", { name: "← Data Sources" }).click();
		const row = page.locator("tr", { has: page.getByRole("link", { name: "Sales CRM" }) });
		await row.waitFor();
		expect(await row.locator('[data-label="Stream"]').textContent()).toBe(stream);
		expect(await row.locator('[data-label="Keys"]').textContent()).toContain("1 active");
		expect(await row.locator('[data-label="Last request"]').textContent()).toMatch(/ago$/);
		expect(await row.locator('[data-label="Last 24 h"] .badge').allTextContents()).toEqual(["1 processed", "1 rejected"]);
		await screenshot(page, "05-data-sources");
	});

	it("shows new items in the live view without a reload, with the seq and the connection state", async () => {
		const { page } = browser;
		await page.getByRole("link", { name: stream }).click();
		await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
		await page.locator('tr[data-item-key="North"]').waitFor();
		expect(await page.getByTestId("seq").textContent()).toBe("2");
		await page.evaluate(() => Object.assign(window, { notReloaded: true }));

		expect((await ingest(key, { region: "East", revenue: 400 })).status).toBe(202);
		const east = page.locator('tr[data-item-key="East"]');
		await east.waitFor({ timeout: 20_000 });
		expect(await east.getAttribute("class")).toContain("changed");
		expect(await page.getByTestId("seq").textContent()).toBe("3");
		expect(await page.evaluate(() => "notReloaded" in window)).toBe(true);
		await page.locator(".chart canvas").waitFor();
		await screenshot(page, "06-live-view");
	});

	it("pages back through the log with its cursor", async () => {
		const { page } = browser;
		await page.goto(`${url}${connectorPath}`);
		await page.locator("tr[data-status]").first().waitFor();
		const more = await Promise.all(Array.from({ length: 50 }, (_, i) => ingest(key, { region: `R${i}`, revenue: i })));
		expect(more.every((response) => response.status === 202)).toBe(true);
		// 53 requests so far: the first page holds 50, the 3 oldest are on the next.
		const older = page.getByRole("button", { name: "Load older requests" });
		await older.waitFor({ timeout: 20_000 });
		expect(await page.locator("tr[data-status]").count()).toBe(50);
		await older.click();
		await older.waitFor({ state: "detached" });
		expect(await page.locator("tr[data-status]").count()).toBe(53);
	});

	it("revokes the key after confirmation, and ingest answers 401 from then on", async () => {
		const { page } = browser;
		await page.goto(`${url}${connectorPath}`);
		await page.getByRole("heading", { level: 1, name: "Sales CRM" }).waitFor();
		const revoke = page.getByRole("button", { name: /^Revoke/ });
		const dialog = page.getByRole("dialog", { name: "Revoke this key?" });
		// Escape cancels, and focus goes back to the button that opened the dialog.
		await revoke.click();
		await dialog.waitFor();
		expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		expect(await revoke.evaluate((button) => button === document.activeElement)).toBe(true);

		await page.keyboard.press("Enter");
		await dialog.waitFor();
		await screenshot(page, "07-revoke-confirm");
		await dialog.getByRole("button", { name: "Revoke key" }).click();
		await page.locator('[data-label="State"]', { hasText: "revoked" }).waitFor();
		expect(await overflowsSideways(browser)).toBe(false);
		await screenshot(page, "08-connector-revoked");
		expect(await page.getByRole("button", { name: /^Revoke/ }).count()).toBe(0);

		const refused = await ingest(key, { region: "West", revenue: 1 });
		expect(refused.status).toBe(401);
	});

	it("fits a 375 px phone screen without sideways scrolling", async () => {
		const { page } = browser;
		await page.setViewportSize({ width: 375, height: 812 });
		await page.goto(`${url}${connectorPath}`);
		await page.getByRole("heading", { level: 1, name: "Sales CRM" }).waitFor();
		await page.locator("tr[data-status]").first().waitFor();
		expect(await overflowsSideways(browser)).toBe(false);
		await screenshot(page, "09-connector-375px");

		await page.goto(`${url}/`);
		await page.getByRole("link", { name: "Sales CRM" }).waitFor();
		expect(await overflowsSideways(browser)).toBe(false);
		await screenshot(page, "10-data-sources-375px");

		await page.goto(`${url}/streams/${stream}`);
		await page.locator('tr[data-item-key="East"]').waitFor();
		expect(await overflowsSideways(browser)).toBe(false);
		await screenshot(page, "11-live-view-375px");
	});

	it("says so when a stream cannot be read", async () => {
		const { page } = browser;
		await page.goto(`${url}/streams/no-such-stream`);
		await page.getByRole("status").filter({ hasText: "Offline" }).waitFor();
		await page.getByText("The stream cannot be read").waitFor();
	});

	it("loaded nothing from another origin, and logged no error (a CSP violation would be one)", () => {
		expect([...requested]).toEqual([url]);
		expect(pageErrors).toEqual([]);
	});
});
