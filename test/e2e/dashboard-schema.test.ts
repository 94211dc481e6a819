// The stream schema editor in Chromium: a suggestion from the live view's items, a parse error
// caught before sending, the API's 400 shown by where in the schema, saving, a request the schema
// rejects shown with its first problems in the connector's log, removal, and the 375 px layout.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminCall, connectorWithKey, eventually, freshStream, ingestItems, serverUrl, snapshot } from "../node/api";
import { type Browser, SCREENSHOTS, openBrowser, screenshot } from "./browser";

const url = serverUrl();
const adminToken = inject("adminToken");
const DRAFT = "https://json-schema.org/draft/2020-12/schema";

interface Detail {
	index?: number;
	path: (string | number)[];
	message: string;
}

/** The stream's schema as the admin API stores it. */
async function storedSchema(stream: string): Promise<unknown> {
	return (await adminCall<{ schema: unknown }>(`/streams/${stream}`)).schema;
}

/** A PATCH sent outside the browser, to learn what the API answers an invalid schema. */
async function patchDirectly(stream: string, schema: unknown): Promise<{ status: number; details: Detail[] }> {
	const response = await fetch(`${url}/api/admin/streams/${stream}`, {
		method: "PATCH",
		headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
		body: JSON.stringify({ schema }),
	});
	const body = (await response.json()) as { error?: { details?: Detail[] } };
	return { status: response.status, details: body.error?.details ?? [] };
}

/** A problem's place as the log names it: `[0].price`, `[3].tags[1]`. */
const place = (detail: Detail) =>
	detail.path.map((part, at) => (at === 0 || typeof part === "number" ? `[${part}]` : `.${part}`)).join("");

describe("a stream's item schema in the dashboard, in Chromium", () => {
	let browser: Browser;
	const pageErrors: string[] = [];
	const stream = freshStream("e2e-schema");
	let connector = { id: "", key: "" };
	const patches: string[] = [];

	const editor = () => browser.page.getByLabel("Schema (JSON)");
	const editorSchema = async () => JSON.parse(await editor().inputValue()) as Record<string, unknown>;

	beforeAll(async () => {
		connector = await connectorWithKey({ stream, item_key: "sku" });
		const sent = await ingestItems(connector.key, [
			{ sku: "a", price: 10, tags: ["new"], dims: { w: 1, h: 2 }, note: null },
			{ sku: "b", price: 12.5, tags: [], dims: { w: 3 }, note: "boxed" },
			{ sku: "c", price: 7, dims: { w: 4, h: 5 } },
		]);
		expect(sent.status).toBe(202);
		await eventually(async () => expect((await snapshot(stream)).items).toHaveLength(3));

		browser = await openBrowser(url);
		const { page } = browser;
		page.on("pageerror", (error) => pageErrors.push(error.message));
		page.on("console", (message) => {
			// The API's deliberate 400s (an invalid schema) are logged by Chromium; anything else is a fault.
			if (message.type() === "error" && !/status of 400/.test(message.text())) pageErrors.push(message.text());
		});
		page.on("request", (request) => {
			if (request.method() === "PATCH") patches.push(request.postData() ?? "");
		});
		await page.goto(`${url}/`);
		await page.getByLabel("Admin token").fill(adminToken);
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Data Sources", exact: true }).waitFor();
		await page.goto(`${url}/streams/${stream}`);
		await page.locator("tr[data-item-key]").nth(2).waitFor({ timeout: 20_000 });
	});
	afterAll(async () => {
		await browser?.close();
		await adminCall(`/streams/${stream}?force=true`, { method: "DELETE" }).catch(() => undefined);
	});

	it("suggests a schema from the items the live view holds, into the editor, without saving it", async () => {
		const { page } = browser;
		await page.getByTestId("schema-state").filter({ hasText: "No schema" }).waitFor();
		expect(await editor().inputValue()).toBe("");
		await page.getByRole("button", { name: "Suggest from current items" }).click();
		await page.getByRole("status").filter({ hasText: "Suggested from 3 items" }).waitFor();

		const suggested = await editorSchema();
		expect(suggested).toEqual({
			$schema: DRAFT,
			type: "object",
			properties: {
				sku: { type: "string" },
				price: { type: "number" },
				tags: { type: "array", items: { type: "string" } },
				dims: { type: "object", properties: { w: { type: "integer" }, h: { type: "integer" } }, required: ["w"] },
				note: { type: ["string", "null"] },
			},
			required: expect.any(Array),
		});
		expect([...(suggested.required as string[])].sort()).toEqual(["dims", "price", "sku"]);
		await page.getByText("Not saved yet.").waitFor();
		expect(patches).toEqual([]);
		expect(await storedSchema(stream)).toBeNull();
		// docs/images/schema.png is this picture (the viewport from the panel's heading), copied by hand when the editor changes.
		await page.locator("#schema-heading").evaluate((heading) => heading.scrollIntoView());
		await page.screenshot({ path: path.join(SCREENSHOTS, "30-schema-suggested.png") });
	});

	it("refuses text that is not JSON in the browser, before anything is sent", async () => {
		const { page } = browser;
		await editor().fill('{ "type": "object", }');
		await page.getByRole("button", { name: "Save schema" }).click();
		await page.locator("#schema-editor-error", { hasText: "Not valid JSON" }).waitFor();
		expect(await editor().getAttribute("aria-invalid")).toBe("true");
		expect(await editor().getAttribute("aria-describedby")).toContain("schema-editor-error");
		expect(await editor().evaluate((element) => element === document.activeElement)).toBe(true);
		// `null` would remove the schema: the editor never sends it.
		await editor().fill("null");
		await page.keyboard.press("Control+Enter");
		await page.locator("#schema-editor-error", { hasText: "a JSON object" }).waitFor();
		expect(patches).toEqual([]);
	});

	it("shows the API's 400 problems by where they are in the schema, and stores nothing", async () => {
		const { page } = browser;
		const invalid = {
			$schema: "http://json-schema.org/draft-07/schema#",
			type: "object",
			properties: { price: { $ref: "https://example.com/price.json" } },
		};
		const expected = await patchDirectly(stream, invalid);
		expect(expected.status).toBe(400);
		expect(expected.details.length).toBeGreaterThanOrEqual(2);

		await editor().fill(JSON.stringify(invalid, null, 2));
		await page.getByRole("button", { name: "Save schema" }).click();
		const shown = page.locator("#schema-editor-error li");
		// The list still holds the browser's parse error until the API answers.
		await shown.filter({ hasText: "/properties/price/$ref" }).waitFor();
		const pointers = expected.details.map((detail) => `/${detail.path.slice(1).join("/")}`);
		expect(pointers).toContain("/$schema");
		expect(pointers).toContain("/properties/price/$ref");
		expect(await shown.allTextContents()).toEqual(
			expected.details.map((detail, at) => `${pointers[at] === "/" ? "" : `${pointers[at]}: `}${detail.message}`),
		);
		expect(JSON.parse(patches.at(-1) ?? "{}")).toEqual({ schema: invalid });
		expect(await storedSchema(stream)).toBeNull();
		await screenshot(page, "31-schema-errors");
	});

	it("saves the suggested schema: the API stores it and the page shows it after a reload", async () => {
		const { page } = browser;
		await page.getByRole("button", { name: "Suggest from current items" }).click();
		const suggested = await editorSchema();
		await page.getByRole("button", { name: "Save schema" }).click();
		await page.getByRole("status").filter({ hasText: "Schema saved." }).waitFor();
		expect(await page.locator("#schema-editor-error").count()).toBe(0);
		expect(await storedSchema(stream)).toEqual(suggested);
		await page.getByTestId("schema-state").filter({ hasText: "must match this schema" }).waitFor();

		await page.reload();
		await page.getByTestId("schema-state").filter({ hasText: "must match this schema" }).waitFor();
		expect(await editorSchema()).toEqual(suggested);
		expect(await page.getByText("Not saved yet.").count()).toBe(0);
		await screenshot(page, "32-schema-saved");
	});

	it("shows a request the schema rejected in the connector's log with its first problems, readable at 375 px", async () => {
		const { page } = browser;
		// Seven bad items: the log names the first five.
		const bad = [
			{ sku: "d", price: "free", dims: { w: 1 } },
			{ sku: "e", dims: { w: 1 } },
			{ sku: "f", price: 1, dims: { w: "wide" } },
			{ sku: "g", price: 1 },
			{ sku: "h", price: 1, dims: { w: 1 }, tags: [1] },
			{ sku: "i", price: null, dims: { w: 1 } },
			{ sku: "j", price: 2, dims: { w: 1.5 } },
		];
		const response = await ingestItems(connector.key, bad);
		expect(response.status).toBe(400);
		const requestId = response.headers.get("X-Request-Id") ?? "";
		const { error } = (await response.json()) as { error: { message: string; details: Detail[] } };
		expect(error.message).toContain("7 of 7 items");

		await page.goto(`${url}/connectors/${connector.id}`);
		const row = page.locator(`tr[data-request-id="${requestId}"][data-status="rejected"]`);
		await row.waitFor({ timeout: 20_000 });
		const cell = row.locator('[data-label="Error"]');
		expect(await cell.textContent()).toContain(`INVALID_PAYLOAD: ${error.message}`);
		const firstFive = error.details.slice(0, 5).map((detail) => `${place(detail)}: ${detail.message}`);
		expect(await cell.locator("li").allTextContents()).toEqual([...firstFive, "…"]);
		expect(firstFive[0]).toMatch(/^\[0\]\.price: /);
		expect(firstFive.some((problem) => problem.startsWith("[1].price: "))).toBe(true);

		await screenshot(page, "33-log-schema-problems");

		await page.setViewportSize({ width: 375, height: 812 });
		await row.scrollIntoViewIfNeeded();
		expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
		const box = await cell.boundingBox();
		expect(box && box.x + box.width).toBeLessThanOrEqual(375);
		await screenshot(page, "34-log-schema-problems-375px");
		await page.setViewportSize({ width: 1280, height: 900 });
	});

	it("removes the schema after confirmation: nothing is checked any more", async () => {
		const { page } = browser;
		await page.goto(`${url}/streams/${stream}`);
		const remove = page.getByRole("button", { name: "Remove schema" });
		await page.getByTestId("schema-state").filter({ hasText: "must match this schema" }).waitFor();
		const dialog = page.getByRole("dialog", { name: "Remove this stream's schema?" });
		// Escape cancels: the schema stays.
		await remove.click();
		await dialog.waitFor();
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		expect(await storedSchema(stream)).not.toBeNull();

		await remove.click();
		await dialog.getByRole("button", { name: "Remove schema" }).click();
		await page.getByRole("status").filter({ hasText: "Schema removed." }).waitFor();
		expect(await storedSchema(stream)).toBeNull();
		expect(await editor().inputValue()).toBe("");
		expect(await remove.isDisabled()).toBe(true);
		await page.getByTestId("schema-state").filter({ hasText: "No schema" }).waitFor();
		expect(JSON.parse(patches.at(-1) ?? "{}")).toEqual({ schema: null });
		// The isolate that removed it dropped its compiled validator at once.
		expect((await ingestItems(connector.key, [{ sku: "k", price: "free" }])).status).toBe(202);
	});

	it("fits a 375 px phone screen with the editor and its errors, without sideways scrolling", async () => {
		const { page } = browser;
		await page.setViewportSize({ width: 375, height: 812 });
		await page.getByRole("button", { name: "Suggest from current items" }).click();
		const long = { type: "object", properties: { [`a_${"very_".repeat(30)}long_field`]: { $ref: `https://example.com/${"x".repeat(80)}` } } };
		await editor().fill(JSON.stringify(long));
		await page.getByRole("button", { name: "Save schema" }).click();
		await page.locator("#schema-editor-error li", { hasText: "Remote $ref" }).waitFor();
		expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
		await screenshot(page, "35-schema-375px");
		await page.setViewportSize({ width: 1280, height: 900 });
	});

	it("logged no error in the page", () => {
		expect(pageErrors).toEqual([]);
	});
});
