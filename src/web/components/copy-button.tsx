import { useState } from "preact/hooks";

/** Copies `text`: the Clipboard API where the page may use it, else a selected hidden textarea. */
async function copyText(text: string): Promise<boolean> {
	try {
		await navigator.clipboard.writeText(text);
		return true;
	} catch {
		const area = document.createElement("textarea");
		area.value = text;
		area.setAttribute("readonly", "");
		area.className = "visually-hidden";
		document.body.append(area);
		area.select();
		const copied = document.execCommand("copy");
		area.remove();
		return copied;
	}
}

/** A button that copies `text` and says so. */
export function CopyButton(props: { text: string; label: string }) {
	const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
	return (
		<span class="copy">
			<button
				type="button"
				class="button secondary"
				onClick={async () => {
					setState((await copyText(props.text)) ? "copied" : "failed");
					setTimeout(() => setState("idle"), 4000);
				}}
			>
				{props.label}
			</button>
			<span role="status" class="copy-status">
				{state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text and copy it" : ""}
			</span>
		</span>
	);
}
