import { z } from "@hono/zod-openapi";

const KINDS: Record<"apply" | "consumer", string[]> = { apply: ["throw", "slow", "abort", "lost_reply"], consumer: ["throw", "redeliver"] };

/**
 * A fault the reliability suite arms in a stream (only when FAULT_INJECTION="1"):
 * `apply` faults strike the stream's next deliveries, `consumer` faults the queue
 * consumer's handling of them. `times` deliveries are hit, one fault each.
 */
export const Fault = z
	.object({
		site: z.enum(["apply", "consumer"]),
		kind: z.enum(["throw", "slow", "abort", "lost_reply", "redeliver"]).openapi({
			description:
				"apply: throw (fail before writing), slow (wait delay_ms, then apply), abort (reset the object mid-batch), lost_reply (apply, then fail the call). consumer: throw (fail the whole queue batch after applying), redeliver (retry the batch instead of acking it).",
		}),
		times: z.number().int().min(1).max(1000).default(1),
		delay_ms: z.number().int().min(0).max(60_000).default(0),
	})
	.strict()
	.refine((fault) => KINDS[fault.site].includes(fault.kind), {
		message: "consumer faults are throw or redeliver; apply faults are throw, slow, abort or lost_reply.",
		path: ["kind"],
	})
	.openapi("Fault");
export type Fault = z.infer<typeof Fault>;

const KEY = "injected-faults";

/** The faults armed in one stream object, kept in its storage so that a reset does not disarm them. */
export class FaultSwitch {
	constructor(readonly storage: DurableObjectStorage) {}

	/** Arms a fault; returns every fault now armed. */
	async arm(fault: Fault): Promise<Fault[]> {
		const armed = [...((await this.storage.get<Fault[]>(KEY)) ?? []), fault];
		await this.storage.put(KEY, armed);
		return armed;
	}

	/** The faults armed, with the strikes they have left. */
	async list(): Promise<Fault[]> {
		return (await this.storage.get<Fault[]>(KEY)) ?? [];
	}

	/** Disarms every fault. */
	async clear(): Promise<void> {
		await this.storage.delete(KEY);
	}

	/** Takes one strike of the first fault armed at `site`, or null. */
	async take(site: Fault["site"]): Promise<Fault | null> {
		const armed = (await this.storage.get<Fault[]>(KEY)) ?? [];
		const index = armed.findIndex((fault) => fault.site === site);
		const fault = armed[index];
		if (!fault) return null;
		if (fault.times > 1) armed[index] = { ...fault, times: fault.times - 1 };
		else armed.splice(index, 1);
		await this.storage.put(KEY, armed);
		// On disk before the fault strikes: an abort throws away writes not yet synced, and would re-arm it forever.
		await this.storage.sync();
		return fault;
	}
}
