import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/secrets";
import { secretResolver } from "../../src/auth/secret-resolver";

const env = { DB: {}, AUTH_CACHE_TTL_SECONDS: "30" } as unknown as Env;

describe("secretResolver", () => {
	it("looks a secret up once, then answers from the cache, unknown ones included", async () => {
		const real = await sha256Hex("sk_real");
		const lookups: string[] = [];
		const resolver = secretResolver(/^sk_/, async (_db, hash) => {
			lookups.push(hash);
			return hash === real ? { hash, owner: "a" } : null;
		});
		expect(await resolver.resolve(env, "sk_real")).toEqual({ hash: real, owner: "a" });
		expect(await resolver.resolve(env, "sk_real")).toEqual({ hash: real, owner: "a" });
		expect(await resolver.resolve(env, "sk_forged")).toBeNull();
		expect(await resolver.resolve(env, "sk_forged")).toBeNull();
		expect(await resolver.resolve(env, "not-our-format")).toBeNull();
		expect(lookups).toHaveLength(2);
	});

	it("keeps known secrets cached through a flood of forged ones", async () => {
		let lookups = 0;
		const real = await sha256Hex("sk_real");
		const resolver = secretResolver(/^sk_/, async (_db, hash) => {
			lookups++;
			return hash === real ? { hash } : null;
		});
		await resolver.resolve(env, "sk_real");
		for (let i = 0; i < 10_050; i++) await resolver.resolve(env, `sk_forged_${i}`);
		const before = lookups;
		expect(await resolver.resolve(env, "sk_real")).toEqual({ hash: real });
		expect(lookups).toBe(before);
	});

	it("forgets a secret at once, known or unknown", async () => {
		let exists = false;
		const resolver = secretResolver(/^sk_/, async (_db, hash) => (exists ? { hash } : null));
		expect(await resolver.resolve(env, "sk_new")).toBeNull();
		exists = true;
		resolver.forget(await sha256Hex("sk_new"));
		expect(await resolver.resolve(env, "sk_new")).not.toBeNull();
		exists = false;
		resolver.forget(await sha256Hex("sk_new"));
		expect(await resolver.resolve(env, "sk_new")).toBeNull();
	});
});
