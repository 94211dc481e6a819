import { describe, expect, inject, it } from "vitest";
import { writeSection } from "../../bench/lib/results.ts";
import { table } from "../../bench/lib/stats.ts";
import { adminCall, snapshot, setupStream } from "../node/api.ts";
import { type HostileCase, hostileCorpus } from "./hostile-corpus.ts";
import { rawRequest } from "./raw-http.ts";

interface Answer {
	hostileCase: HostileCase;
	status: number;
	code: string;
	enveloped: boolean;
	leaked: boolean;
}

describe("hostile input", () => {
	it("answers every request of the corpus with its documented 4xx, applies none and leaks nothing", async () => {
		const url = inject("serverUrl");
		const hostile = await setupStream({ item_key: "id" });
		const revoked = await adminCall<{ id: string; key: string }>(`/connectors/${hostile.connectorId}/keys`, { method: "POST" }, 201);
		await adminCall(`/connectors/${hostile.connectorId}/keys/${revoked.id}`, { method: "DELETE" });
		const victim = await setupStream({ item_key: "id" });
		const victimConnector = await adminCall<{ keys: { id: string }[] }>(`/connectors/${victim.connectorId}`);
		const victimTokens = await adminCall<{ id: string }[]>(`/streams/${victim.stream}/tokens`);
		const ticket = await adminCall<{ token: string }>(`/streams/${victim.stream}/tickets`, { method: "POST" }, 201);
		// The victim's data carries a marker that must never appear in an answer to the corpus.
		const marker = `victim-secret-${crypto.randomUUID()}`;
		const seeded = await fetch(`${url}/api/ingest`, {
			method: "POST",
			headers: { Authorization: `Bearer ${victim.key}`, "Content-Type": "application/json" },
			body: JSON.stringify([{ id: "v1", secret: marker }, { id: "v2", secret: marker }]),
		});
		expect(seeded.status).toBe(202);
		await expect.poll(async () => (await snapshot(victim.stream)).seq, { timeout: 15_000 }).toBe(2);

		const corpus = hostileCorpus({
			adminToken: inject("adminToken"),
			hostile: { ...hostile, revokedKey: revoked.key },
			victim: {
				...victim,
				keyId: victimConnector.keys[0]?.id ?? "",
				rendererTokenId: victimTokens[0]?.id ?? "",
				ticket: ticket.token,
			},
		});
		expect(corpus.length).toBeGreaterThanOrEqual(200);

		const answers: Answer[] = [];
		// A few at a time: the corpus is about what is answered, not how fast.
		for (let i = 0; i < corpus.length; i += 8) {
			answers.push(
				...(await Promise.all(
					corpus.slice(i, i + 8).map(async (hostileCase) => {
						const response = await rawRequest(url, hostileCase.request, hostileCase.timeoutMs);
						let code = response.status === -1 ? "NO-ANSWER" : response.body.includes("Network connection lost") ? "DEV-PROXY" : "HTTP";
						let enveloped = false;
						try {
							const body = JSON.parse(response.body) as { success?: boolean; error?: { code?: string }; request_id?: string };
							enveloped = body.success === false && typeof body.error?.code === "string" && body.request_id === response.headers["x-request-id"];
							if (enveloped) code = body.error?.code ?? "HTTP";
						} catch {
							// Not JSON: only the layers in front of the Worker answer so.
						}
						return { hostileCase, status: response.status, code, enveloped, leaked: response.body.includes(marker) };
					}),
				)),
			);
		}

		const wrong = answers.filter(({ hostileCase, status, code }) => {
			const codes = Array.isArray(hostileCase.code) ? hostileCase.code : [hostileCase.code];
			return status !== hostileCase.status || !codes.includes(code);
		});
		expect(
			wrong.map(({ hostileCase, status, code }) => `${hostileCase.category} / ${hostileCase.name}: got ${status} ${code}, want ${hostileCase.status} ${String(hostileCase.code)}`),
		).toEqual([]);
		// The Worker itself never answers 5xx, and every answer it gives is in the envelope.
		expect(answers.filter((answer) => answer.enveloped && answer.status >= 500)).toEqual([]);
		expect(answers.filter((answer) => answer.code === "HTTP" && answer.status !== 400)).toEqual([]);
		expect(answers.filter((answer) => answer.leaked).map((answer) => answer.hostileCase.name)).toEqual([]);

		// None applied: the hostile stream is empty, the victim's untouched, and the queue had nothing of it.
		await new Promise((resolve) => setTimeout(resolve, 2_000));
		expect((await snapshot(hostile.stream)).seq).toBe(0);
		const after = await snapshot(victim.stream);
		expect(after.seq).toBe(2);
		expect(after.items.map((item) => item.value.secret)).toEqual([marker, marker]);
		const logged = await adminCall<{ status: string }[]>(`/connectors/${hostile.connectorId}/logs?limit=200`);
		expect(logged.filter((entry) => entry.status !== "rejected")).toEqual([]);

		const byCategory = new Map<string, number>();
		for (const answer of answers) byCategory.set(answer.hostileCase.category, (byCategory.get(answer.hostileCase.category) ?? 0) + 1);
		const count = (code: string) => answers.filter((answer) => answer.code === code).length;
		const enveloped = answers.filter((answer) => answer.enveloped).length;
		const summary = `${answers.length} hostile inputs, none applied, nothing leaked: ${enveloped} refused by the Worker with their documented 4xx in the envelope, ${count("HTTP")} refused 400 by workerd's HTTP parser before the Worker ran, ${count("DEV-PROXY")} answered 500 text by wrangler dev's entry worker (miniflare) because the body stream broke before the Worker could read it, ${count("NO-ANSWER")} left waiting for the body its Content-Length promised.`;
		console.log(summary);
		writeSection(
			"reliability-hostile",
			[
				"### Hostile input",
				"",
				`Run ${new Date().toISOString().slice(0, 10)} by \`npm run test:reliability\` (test/reliability/hostile.test.ts; the corpus is test/reliability/hostile-corpus.ts).`,
				"",
				summary,
				"",
				table(["category", "requests"], [...byCategory]),
			].join("\n"),
		);
	});
});
