import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, api, errorMessage } from "../api";
import { ConnectorForm } from "../components/connector-form";
import { CurlPanel } from "../components/curl-panel";
import { DeleteConnector } from "../components/delete-connector";
import { DetailHead } from "../components/detail-head";
import { KeysPanel } from "../components/keys-panel";
import { LogsPanel } from "../components/logs-panel";
import { formatTime } from "../format";
import { Link, navigate } from "../router";
import { streamPath } from "../routes";
import type { ConnectorWithKeys, CreatedKey } from "../types";
import { ErrorAlert } from "../components/error-alert";

/** One connector: its settings, keys, a curl example and its request log. */
export function ConnectorPage(props: { id: string }) {
	const [connector, setConnector] = useState<ConnectorWithKeys | null>(null);
	const [error, setError] = useState<string | null>(null);
	const [fresh, setFresh] = useState<CreatedKey | null>(null);

	const load = useCallback(async () => {
		try {
			setConnector(await api<ConnectorWithKeys>(`/api/admin/connectors/${encodeURIComponent(props.id)}`));
			setError(null);
		} catch (failure) {
			setError(failure instanceof ApiError && failure.status === 404 ? "There is no such connector." : errorMessage(failure));
		}
	}, [props.id]);
	useEffect(() => {
		setConnector(null);
		setFresh(null);
		void load();
	}, [load]);
	useEffect(() => {
		if (connector) document.title = `${connector.name} · Data Sources`;
	}, [connector?.name]);

	if (!connector) {
		return (
			<>
				<p>
					<Link href="/">← Data Sources</Link>
				</p>
				{error ? (
					<ErrorAlert>{error}</ErrorAlert>
				) : (
					<p>Loading…</p>
				)}
			</>
		);
	}

	return (
		<>
			<DetailHead focusKey={connector.id} title={connector.name}>
				<div class="actions">
					<Link href={streamPath(connector.stream)} class="button secondary">
						Live view of {connector.stream}
					</Link>
					<DeleteConnector connector={connector} onError={setError} onDeleted={() => navigate("/")} />
				</div>
			</DetailHead>
			<dl class="facts">
				<div>
					<dt>Stream</dt>
					<dd>
						<code>{connector.stream}</code>
					</dd>
				</div>
				<div>
					<dt>Connector id</dt>
					<dd>
						<code class="break">{connector.id}</code>
					</dd>
				</div>
				<div>
					<dt>Created</dt>
					<dd>{formatTime(connector.created_at)}</dd>
				</div>
			</dl>
			<ErrorAlert>{error}</ErrorAlert>
			<div class="columns">
				<section aria-labelledby="settings-heading" class="panel">
					<h2 id="settings-heading">Settings</h2>
					<ConnectorForm
						key={connector.id}
						connector={connector}
						idPrefix="settings"
						submitLabel="Save settings"
						onSaved={(saved) => setConnector({ ...saved, keys: connector.keys })}
					/>
				</section>
				<KeysPanel
					connectorId={connector.id}
					keys={connector.keys}
					fresh={fresh}
					onCreated={(key) => {
						setFresh(key);
						void load();
					}}
					onDismissFresh={() => setFresh(null)}
					onChanged={() => void load()}
				/>
			</div>
			<CurlPanel itemKey={connector.item_key} freshKey={fresh?.key ?? null} />
			<LogsPanel connectorId={connector.id} />
		</>
	);
}
