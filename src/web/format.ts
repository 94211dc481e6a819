const pad = (n: number) => String(n).padStart(2, "0");

/** A timestamp in the viewer's time zone, `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(iso: string): string {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How long ago a timestamp was, in words ("12 s ago", "3 h ago"). */
export function timeAgo(iso: string, now = Date.now()): string {
	const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
	if (seconds < 60) return `${seconds} s ago`;
	const minutes = Math.round(seconds / 60);
	if (minutes < 60) return `${minutes} min ago`;
	const hours = Math.round(minutes / 60);
	if (hours < 48) return `${hours} h ago`;
	return `${Math.round(hours / 24)} days ago`;
}

/** A JSON value on one line, cut to `max` characters. */
export function preview(value: unknown, max = 160): string {
	const text = JSON.stringify(value) ?? "";
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
