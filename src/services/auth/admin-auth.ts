import { createMiddleware } from "hono/factory";
import { unauthorized } from "../../model/errors";
import { bearerToken } from "./bearer";
import { secretsEqual } from "./secrets";

/** Whether an `Authorization` header carries the admin token (compared in constant time). */
export async function isAdmin(env: Env, header: string | undefined): Promise<boolean> {
	const token = bearerToken(header);
	if (token === null || !env.ADMIN_TOKEN) return false;
	return secretsEqual(token, env.ADMIN_TOKEN);
}

/** Requires `Authorization: Bearer <ADMIN_TOKEN>`. */
export const requireAdmin = createMiddleware<{ Bindings: Env }>(async function requireAdmin(c, next) {
	if (!(await isAdmin(c.env, c.req.header("Authorization")))) {
		throw unauthorized("The admin token is missing or wrong.");
	}
	await next();
});
