import { describe, expect, it } from "vitest";
import { TICKET_TTL_MS, issueTicket, verifyTicket } from "../../src/services/auth/tickets";

describe("tickets", () => {
	it("open the stream they were issued for, until they expire", async () => {
		const now = 1_800_000_000_000;
		const { token, expiresAt } = await issueTicket("admin-1", "sales", now);
		expect(token).toMatch(/^rk_tmp_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
		expect(expiresAt).toBe(now + TICKET_TTL_MS);
		expect(await verifyTicket("admin-1", token, now)).toEqual({ stream: "sales", expiresAt });
		expect(await verifyTicket("admin-1", token, expiresAt - 1)).toEqual({ stream: "sales", expiresAt });
		expect(await verifyTicket("admin-1", token, expiresAt)).toBeNull();
	});

	it("are void once the admin token changes, and when forged or mangled", async () => {
		const { token } = await issueTicket("admin-1", "sales");
		expect(await verifyTicket("admin-2", token)).toBeNull();
		const [payload = "", signature = ""] = token.slice("rk_tmp_".length).split(".");
		const other = await issueTicket("admin-1", "other");
		const otherSignature = other.token.split(".")[1];
		expect(await verifyTicket("admin-1", `rk_tmp_${payload}.${otherSignature}`)).toBeNull();
		expect(await verifyTicket("admin-1", `rk_tmp_${payload}x.${signature}`)).toBeNull();
		expect(await verifyTicket("admin-1", "rk_tmp_garbage")).toBeNull();
		expect(await verifyTicket("", token)).toBeNull();
	});

	it("are different every time", async () => {
		const a = await issueTicket("admin-1", "sales", 1);
		const b = await issueTicket("admin-1", "sales", 1);
		expect(a.token).not.toBe(b.token);
	});
});
