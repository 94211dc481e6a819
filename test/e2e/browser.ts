// Headless Chromium for the dashboard's end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core (no browser download).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";

const EXECUTABLE = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
];

/** Where screenshots go (gitignored; CI keeps them as artefacts). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, "screenshots");

export interface Browser {
	context: BrowserContext;
	page: Page;
	close(): Promise<void>;
}

/** Starts Chromium on a fresh profile, with clipboard access for `origin`; fails with the fix when Chromium is missing. */
export async function openBrowser(origin: string): Promise<Browser> {
	if (!existsSync(EXECUTABLE)) {
		throw new Error(
			`Chromium is not installed at ${EXECUTABLE}: the dashboard's end-to-end tests need it. Install it with \`apt-get install -y chromium\` (as root; \`apt-get update\` first on a fresh machine), or point CHROMIUM_PATH at a Chromium binary.`,
		);
	}
	mkdirSync(SCREENSHOTS, { recursive: true });
	const profile = mkdtempSync(path.join(tmpdir(), "datapool-chromium-"));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: EXECUTABLE,
		headless: true,
		args: ARGS,
		viewport: { width: 1280, height: 900 },
		permissions: ["clipboard-read", "clipboard-write"],
	});
	await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
	const page = context.pages()[0] ?? (await context.newPage());
	return {
		context,
		page,
		async close() {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

/** Saves a full-page screenshot as test/e2e/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
