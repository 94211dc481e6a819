import { useEffect, useRef } from "preact/hooks";

/**
 * Calls `callback` every `ms` while enabled and the tab is visible, and once more
 * when the tab comes back, so hidden tabs cost the API nothing.
 */
export function useInterval(callback: () => void, ms: number, enabled = true): void {
	const latest = useRef(callback);
	latest.current = callback;
	useEffect(() => {
		if (!enabled) return;
		const timer = setInterval(() => {
			if (document.visibilityState === "visible") latest.current();
		}, ms);
		const onVisible = () => {
			if (document.visibilityState === "visible") latest.current();
		};
		document.addEventListener("visibilitychange", onVisible);
		return () => {
			clearInterval(timer);
			document.removeEventListener("visibilitychange", onVisible);
		};
	}, [ms, enabled]);
}

/** Moves focus to the element (a page's heading) when `key` changes, so screen readers announce the new page. */
export function useFocusOnChange<T extends HTMLElement>(key: unknown) {
	const ref = useRef<T>(null);
	useEffect(() => {
		ref.current?.focus();
	}, [key]);
	return ref;
}
