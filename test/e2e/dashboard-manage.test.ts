// The dashboard's managing actions in Chromium: the Streams page and its typed confirmation,
// deleting an item and clearing the stream on the live view, deleting a connector.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminCall, connectorWithKey, eventually, freshStream, ingestItems, serverUrl, snapshot } from "../node/api";
import { type Browser, openBrowser, screenshot } from "./browser";

const url = serverUrl();
const adminToken = inject("adminToken");

/** Whether the page can be scrolled sideways (the layout is wider than the viewport). */
function overflowsSideways(browser: Browser): Promise<boolean> {
	return browser.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

/** The status an admin GET answers, for checking what a deletion left behind. */
async function adminStatus(path: string): Promise<number> {
	const response = await fetch(`${url}/api/admin${path}`, { headers: { Authorization: `Bearer ${adminToken}` } });
	await response.body?.cancel();
	return response.status;
}

describe("managing streams, items and connectors in the dashboard, in Chromium", () => {
	let browser: Browser;
	const pageErrors: string[] = [];
	// One stream with three items (deleted one by one, then cleared), its connector deleted later.
	const stream = freshStream("e2e-manage");
	// A stream whose only connector was deleted: it stays, with no connectors.
	const idle = freshStream("e2e-idle");
	let connector = { id: "", key: "" };

	beforeAll(async () => {
		const made = await connectorWithKey({ stream, item_key: "sku" });
		connector = { id: made.id, key: made.key };
		expect((await ingestItems(made.key, [{ sku: "a", n: 1 }, { sku: "b/2 ü?", n: 2 }, { sku: "c", n: 3 }])).status).toBe(202);
		const gone = await connectorWithKey({ stream: idle });
		await adminCall(`/connectors/${gone.id}`, { method: "DELETE" });
		await eventually(async () => expect((await snapshot(stream)).items).toHaveLength(3));

		browser = await openBrowser(url);
		browser.page.on("pageerror", (error) => pageErrors.push(error.message));
		browser.page.on("console", (message) => {
			// The API's deliberate 4xx answers (here the 409 of a stream in use) are logged by Chromium; anything else is a fault.
			if (message.type() === "error" && !/status of 40[0149]/.test(message.text())) pageErrors.push(message.text());
		});
		const { page } = browser;
		await page.goto(`${url}/`);
		await page.getByLabel("Admin token").fill(adminToken);
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Data Sources", exact: true }).waitFor();
	});
	afterAll(async () => {
		await browser?.close();
	});

	it("lists every stream with its connectors, item count, seq and last write", async () => {
		const { page } = browser;
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Streams" }).click();
		await page.getByRole("heading", { level: 1, name: "Streams" }).waitFor();
		expect(new URL(page.url()).pathname).toBe("/streams");
		const row = page.locator(`tr[data-stream="${stream}"]`);
		await row.locator('[data-label="Last write"] time').waitFor();
		expect(await row.locator('[data-label="Connectors"]').textContent()).toBe("1");
		expect(await row.locator('[data-label="Items"]').textContent()).toBe("3");
		expect(await row.locator('[data-label="Seq"]').textContent()).toBe("3");
		expect(await row.locator('[data-label="Last write"]').textContent()).toMatch(/ago$/);

		const idleRow = page.locator(`tr[data-stream="${idle}"]`);
		await idleRow.locator('[data-label="Items"]', { hasText: "0" }).waitFor();
		expect(await idleRow.locator('[data-label="Connectors"]').textContent()).toBe("0");
		expect(await idleRow.locator('[data-label="Last write"]').textContent()).toBe("Never");
		await screenshot(page, "21-streams");

		// Escape cancels the typed confirmation, and the next opening starts empty again.
		const dialog = page.getByRole("dialog", { name: "Delete this stream?" });
		await row.getByRole("button", { name: `Delete stream ${stream}` }).click();
		await dialog.waitFor();
		expect(await dialog.getByTestId("force-warning").textContent()).toContain("Its connector goes too");
		await page.keyboard.type(stream);
		await screenshot(page, "22-delete-stream-confirm");
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		await row.getByRole("button", { name: `Delete stream ${stream}` }).click();
		await dialog.waitFor();
		expect(await dialog.getByLabel(`Type ${stream} to confirm`).inputValue()).toBe("");
		expect(await dialog.getByRole("button", { name: "Delete stream" }).isDisabled()).toBe(true);
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		expect(await adminStatus(`/streams/${stream}`)).toBe(200);
	});

	it("deletes an item from the live view after confirmation: its row goes, through the socket, without a reload", async () => {
		const { page } = browser;
		await page.getByRole("link", { name: stream }).click();
		await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
		// A key with a slash, a space, a question mark and a non-ASCII letter: it travels URL-encoded in the path.
		await page.locator('tr[data-item-key="b/2 ü?"]').waitFor();
		await page.evaluate(() => Object.assign(window, { notReloaded: true }));

		await page.getByRole("button", { name: "Delete item b/2 ü?" }).click();
		const dialog = page.getByRole("dialog", { name: "Delete this item?" });
		await dialog.waitFor();
		await screenshot(page, "23-delete-item-confirm");
		await dialog.getByRole("button", { name: "Delete item" }).click();
		await page.locator('tr[data-item-key="b/2 ü?"]').waitFor({ state: "detached" });
		expect(await page.locator("tr[data-item-key]").count()).toBe(2);
		expect((await snapshot(stream)).items.map((item) => item.key).sort()).toEqual(["a", "c"]);
		expect(await page.evaluate(() => "notReloaded" in window)).toBe(true);
	});

	it("clears the stream after confirmation: the table empties from the fresh snapshot", async () => {
		const { page } = browser;
		const clear = page.getByRole("button", { name: "Clear stream" });
		// Escape cancels: nothing is cleared.
		await clear.click();
		const dialog = page.getByRole("dialog", { name: "Clear this stream?" });
		await dialog.waitFor();
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "hidden" });
		expect(await page.locator("tr[data-item-key]").count()).toBe(2);

		await clear.click();
		await dialog.getByRole("button", { name: "Clear stream" }).click();
		await page.getByText("No items yet").waitFor();
		expect(await page.locator("tr[data-item-key]").count()).toBe(0);
		expect((await snapshot(stream)).items).toEqual([]);
		expect(await page.evaluate(() => "notReloaded" in window)).toBe(true);
		await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
	});

	it("deletes a connector after confirmation, goes back to the list, and its key is refused", async () => {
		const { page } = browser;
		await page.goto(`${url}/connectors/${connector.id}`);
		await page.getByRole("heading", { level: 1, name: `Node test ${stream}` }).waitFor();
		await page.getByRole("button", { name: "Delete connector" }).click();
		const dialog = page.getByRole("dialog", { name: "Delete this connector?" });
		await dialog.waitFor();
		await dialog.getByRole("button", { name: "Delete connector" }).click();
		await page.getByRole("heading", { level: 1, name: "Data Sources", exact: true }).waitFor();
		expect(new URL(page.url()).pathname).toBe("/");
		await page.locator("table.connectors").or(page.getByText("No connectors yet")).waitFor();
		expect(await page.getByRole("link", { name: `Node test ${stream}` }).count()).toBe(0);
		expect(await adminStatus(`/connectors/${connector.id}`)).toBe(404);
		expect((await ingestItems(connector.key, [{ sku: "z" }])).status).toBe(401);
	});

	it("deletes a stream only once its name is typed; a stream without connectors goes without force", async () => {
		const { page } = browser;
		await page.goto(`${url}/streams`);
		const row = page.locator(`tr[data-stream="${idle}"]`);
		await row.getByRole("button", { name: `Delete stream ${idle}` }).click();
		const dialog = page.getByRole("dialog", { name: "Delete this stream?" });
		await dialog.waitFor();
		const confirm = dialog.getByRole("button", { name: "Delete stream" });
		expect(await confirm.isDisabled()).toBe(true);
		expect(await dialog.getByTestId("force-warning").count()).toBe(0);
		// Focus starts in the field: type all but the last character.
		await page.keyboard.type(idle.slice(0, -1));
		expect(await confirm.isDisabled()).toBe(true);
		await page.keyboard.press("Enter");
		expect(await dialog.isVisible()).toBe(true);
		await page.keyboard.type(idle.slice(-1));
		expect(await confirm.isEnabled()).toBe(true);

		const sent = page.waitForRequest((request) => request.method() === "DELETE");
		await confirm.click();
		const target = new URL((await sent).url());
		expect(`${target.pathname}${target.search}`).toBe(`/api/admin/streams/${idle}`);
		await page.getByRole("status").filter({ hasText: `Stream ${idle} deleted.` }).waitFor();
		await row.waitFor({ state: "detached" });
		expect(await adminStatus(`/streams/${idle}`)).toBe(404);
	});

	it("shows 409 STREAM_IN_USE when a connector named the stream after the list was read, then deletes it with force", async () => {
		const { page } = browser;
		// The list the page holds stays the one read before the connector was made (its periodic refresh included),
		// as it would be for an admin whose colleague just added one; the refresh after the 409 reads the real list.
		let frozen: string | null = null;
		await page.route(`${url}/api/admin/streams`, async (route) => {
			const response = await route.fetch();
			await route.fulfill({ response, body: frozen ?? (await response.text()) });
		});
		await page.goto(`${url}/streams`);
		// The stream still exists without connectors (deleting its connector kept it).
		const row = page.locator(`tr[data-stream="${stream}"]`);
		await row.locator('[data-label="Connectors"]', { hasText: "0" }).waitFor();
		frozen = JSON.stringify(await adminCall("/streams").then((data) => ({ success: true, data })));
		const late = await connectorWithKey({ stream });

		const dialog = page.getByRole("dialog", { name: "Delete this stream?" });
		await row.getByRole("button", { name: `Delete stream ${stream}` }).click();
		await dialog.waitFor();
		expect(await dialog.getByTestId("force-warning").count()).toBe(0);
		await page.keyboard.type(stream);
		frozen = null;
		await dialog.getByRole("button", { name: "Delete stream" }).click();
		await page.getByRole("alert").filter({ hasText: "delete again to remove them too" }).waitFor();
		await row.locator('[data-label="Connectors"]', { hasText: "1" }).waitFor();
		expect(await adminStatus(`/streams/${stream}`)).toBe(200);

		await row.getByRole("button", { name: `Delete stream ${stream}` }).click();
		await dialog.waitFor();
		expect(await dialog.getByTestId("force-warning").textContent()).toContain("Its connector goes too, with its ingest keys");
		await page.keyboard.type(stream);
		await screenshot(page, "24-delete-stream-force");
		const sent = page.waitForRequest((request) => request.method() === "DELETE");
		// Enter in the field confirms once the name matches.
		await page.keyboard.press("Enter");
		expect(new URL((await sent).url()).search).toBe("?force=true");
		await row.waitFor({ state: "detached" });
		expect(await page.getByRole("alert").count()).toBe(0);
		expect(await adminStatus(`/streams/${stream}`)).toBe(404);
		expect(await adminStatus(`/connectors/${late.id}`)).toBe(404);
		expect((await ingestItems(late.key, [{ sku: "z" }])).status).toBe(401);
		await page.unroute(`${url}/api/admin/streams`);
	});

	it("fits a 375 px phone screen without sideways scrolling", async () => {
		const { page } = browser;
		await page.setViewportSize({ width: 375, height: 812 });
		const other = await connectorWithKey({ stream: freshStream("e2e-phone") });
		await page.goto(`${url}/streams`);
		await page.locator(`tr[data-stream="${other.stream}"] [data-label="Seq"]`, { hasText: "0" }).waitFor();
		expect(await overflowsSideways(browser)).toBe(false);
		await screenshot(page, "25-streams-375px");
		await adminCall(`/streams/${other.stream}?force=true`, { method: "DELETE" });
	});

	it("turns a live view Offline when its stream is deleted, as the dialog says", async () => {
		const { page } = browser;
		const doomed = await connectorWithKey({ stream: freshStream("e2e-doomed"), item_key: "sku" });
		expect((await ingestItems(doomed.key, [{ sku: "x" }])).status).toBe(202);
		await page.goto(`${url}/streams/${doomed.stream}`);
		await page.locator('tr[data-item-key="x"]').waitFor({ timeout: 20_000 });
		await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
		await adminCall(`/streams/${doomed.stream}?force=true`, { method: "DELETE" });
		// The socket closes (4004); the fresh ticket the client asks for is then refused with 404, so it stops there.
		await page.getByRole("status").filter({ hasText: "Offline" }).waitFor({ timeout: 20_000 });
		await page.getByText("may have been deleted").waitFor();
	});

	it("logged no error in the page", () => {
		expect(pageErrors).toEqual([]);
	});
});
