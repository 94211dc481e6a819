/** The reason a signal was aborted with, or a standard AbortError for runtimes that give none. */
export function abortReason(signal: AbortSignal): unknown {
	return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) {
			reject(abortReason(signal));
			return;
		}
		const onAbort = () => {
			clearTimeout(timer);
			if (signal) reject(abortReason(signal));
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener("abort", onAbort);
			resolve();
		}, ms);
		signal?.addEventListener("abort", onAbort, { once: true });
	});
}

/** A signal for one attempt: aborted by the caller's signal or after `timeoutMs`, whichever comes first. */
export interface AttemptSignal {
	signal: AbortSignal;
	timedOut(): boolean;
	dispose(): void;
}

/** Links the caller's signal to a per-attempt timeout (AbortSignal.any is missing from older runtimes). */
export function attemptSignal(timeoutMs: number, outer?: AbortSignal): AttemptSignal {
	const controller = new AbortController();
	let timedOut = false;
	const onAbort = () => controller.abort(outer ? abortReason(outer) : undefined);
	const timer = setTimeout(() => {
		timedOut = true;
		controller.abort(new DOMException(`No answer within ${timeoutMs} ms.`, "TimeoutError"));
	}, timeoutMs);
	if (outer?.aborted) onAbort();
	else outer?.addEventListener("abort", onAbort, { once: true });
	return {
		signal: controller.signal,
		timedOut: () => timedOut,
		dispose() {
			clearTimeout(timer);
			outer?.removeEventListener("abort", onAbort);
		},
	};
}
