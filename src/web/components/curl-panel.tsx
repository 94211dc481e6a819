import { curlExample } from "../curl";
import { CopyButton } from "./copy-button";

/** A ready-to-paste request against this very server. */
export function CurlPanel(props: { itemKey: string | null; freshKey: string | null }) {
	const command = curlExample({ origin: location.origin, itemKey: props.itemKey, key: props.freshKey });
	return (
		<section aria-labelledby="curl-heading" class="panel">
			<div class="section-head">
				<h2 id="curl-heading">Send data</h2>
				<CopyButton text={command} label="Copy command" />
			</div>
			<p>
				{props.freshKey
					? "This command carries the key you just made."
					: "Set INGEST_KEY to one of this connector's keys (export INGEST_KEY=ik_live_…), then run:"}
			</p>
			<pre class="code" tabIndex={0} aria-label="curl command">
				<code>{command}</code>
			</pre>
		</section>
	);
}
