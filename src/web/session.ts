// The admin token lives in sessionStorage: it survives reloads of this tab, never reaches a URL, and goes when the tab does.
const STORAGE_KEY = "datapool.admin-token";

/** The admin token this tab signed in with, or null. */
export function savedToken(): string | null {
	return sessionStorage.getItem(STORAGE_KEY);
}

/** Remembers the admin token for this tab. */
export function saveToken(token: string): void {
	sessionStorage.setItem(STORAGE_KEY, token);
}

/** Forgets the admin token (sign out). */
export function clearToken(): void {
	sessionStorage.removeItem(STORAGE_KEY);
}
