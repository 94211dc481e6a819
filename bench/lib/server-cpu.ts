// CPU time used by a local server's processes (wrangler, workerd), read from /proc: a figure that other
// processes on the machine disturb far less than requests/s, which they share the cores with.
import { readFileSync, readdirSync } from "node:fs";

const TICKS_PER_SECOND = 100;

function stat(pid: string): { pgrp: number; cpuTicks: number } | null {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, "utf8");
		// The command name may hold spaces and parentheses: the fields start after the last ')'.
		const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
		return { pgrp: Number(fields[2]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
	} catch {
		return null;
	}
}

/** The process group of the workerd listening on `port` (dev-server starts each server in a group of its own). */
export function serverProcessGroup(port: number): number {
	for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
		try {
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
			if (cmdline.includes("workerd") && cmdline.includes(`entry=127.0.0.1:${port}`)) {
				const group = stat(pid)?.pgrp;
				if (group) return group;
			}
		} catch {
			// The process ended while we looked.
		}
	}
	throw new Error(`no workerd found on port ${port}`);
}

/** Milliseconds of CPU (user + system) used so far by every live process of a group. */
export function groupCpuMs(pgrp: number): number {
	let ticks = 0;
	for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
		const entry = stat(pid);
		if (entry?.pgrp === pgrp) ticks += entry.cpuTicks;
	}
	return (ticks * 1000) / TICKS_PER_SECOND;
}
