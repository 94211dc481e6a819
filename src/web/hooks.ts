import { useEffect, useRef, useState } from "preact/hooks";
import { errorMessage } from "./api";

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

/**
 * An action whose failure is shown in the panel (an ErrorAlert of `error`) and which, once
 * done, puts focus back on the panel's heading: the button that had it may be gone with
 * its row, and keyboard users stay in the section.
 */
export function usePanelAction() {
	const [error, setError] = useState<string | null>(null);
	const heading = useRef<HTMLHeadingElement>(null);
	async function attempt(action: () => Promise<void>): Promise<void> {
		setError(null);
		try {
			await action();
			heading.current?.focus();
		} catch (failure) {
			setError(errorMessage(failure));
		}
	}
	return { error, setError, heading, attempt };
}
