// The Streams page's data: the list, each stream enriched with its summary as it arrives.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, errorMessage } from "./api";
import type { ListedStream, StreamDetails } from "./types";

/** A stream's summary: loaded, still loading, or failed (with why). */
export type Summary = StreamDetails | "loading" | { failed: string };

export interface StreamsData {
	streams: ListedStream[] | null;
	summaries: ReadonlyMap<string, Summary>;
	error: string | null;
	reload: () => Promise<void>;
}

/** Lists the streams, then asks for each one's summary; a newer load wins over a slower older one. */
export function useStreams(): StreamsData {
	const [streams, setStreams] = useState<ListedStream[] | null>(null);
	const [summaries, setSummaries] = useState<ReadonlyMap<string, Summary>>(new Map());
	const [error, setError] = useState<string | null>(null);
	const generation = useRef(0);

	const reload = useCallback(async () => {
		const mine = ++generation.current;
		let listed: ListedStream[];
		try {
			listed = await api<ListedStream[]>("/api/admin/streams");
		} catch (failure) {
			if (mine === generation.current) setError(errorMessage(failure));
			return;
		}
		if (mine !== generation.current) return;
		setError(null);
		setStreams(listed);
		// Keep the summaries already shown until fresh ones replace them, so rows do not flicker.
		setSummaries((old) => new Map(listed.map((stream) => [stream.name, old.get(stream.name) ?? "loading"])));
		await Promise.all(
			listed.map(async (stream) => {
				let summary: Summary;
				try {
					summary = await api<StreamDetails>(`/api/admin/streams/${encodeURIComponent(stream.name)}`);
				} catch (failure) {
					summary = { failed: errorMessage(failure) };
				}
				if (mine === generation.current) setSummaries((old) => new Map(old).set(stream.name, summary));
			}),
		);
	}, []);
	useEffect(() => void reload(), [reload]);
	return { streams, summaries, error, reload };
}
