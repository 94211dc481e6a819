import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, errorMessage } from "../api";
import { type SchemaProblem, parseSchemaText, schemaProblems, schemaText } from "../schema-errors";
import { suggestSchema } from "../schema-suggest";
import type { StreamDetails } from "../types";
import { ConfirmDialog } from "./confirm-dialog";
import { ErrorAlert } from "./error-alert";

type Schema = Record<string, unknown>;

interface SchemaPanelProps {
	stream: string;
	/** The values of the items the live view holds now, read when a suggestion is asked for. */
	itemValues: () => Record<string, unknown>[];
	/** How many items the live view holds (none: nothing to suggest from). */
	count: number;
}

interface Problems {
	/** Beside the editor: the browser's parse error, or the API's problems of the schema by where they are. */
	problems: SchemaProblem[];
	/** Above it: anything else the API refused. */
	other: string[];
}

// The editor grows with its schema up to a screenful, then scrolls (and can be resized).
const MIN_ROWS = 8;
const MAX_ROWS = 30;

const NONE: Problems = { problems: [], other: [] };

/**
 * The stream's item schema in a JSON editor: read from GET /api/admin/streams/:stream, saved or
 * removed with PATCH, the API's 400 shown by where in the schema each problem is. A suggestion
 * from the items on the page only fills the editor: nothing is stored until Save.
 */
export function SchemaPanel(props: SchemaPanelProps) {
	// undefined while loading.
	const [stored, setStored] = useState<Schema | null | undefined>(undefined);
	const [text, setText] = useState("");
	const [errors, setErrors] = useState<Problems>(NONE);
	const [loadError, setLoadError] = useState<string | null>(null);
	const [status, setStatus] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const [confirming, setConfirming] = useState(false);
	const editor = useRef<HTMLTextAreaElement>(null);
	const summary = useRef<HTMLDivElement>(null);
	const path = `/api/admin/streams/${encodeURIComponent(props.stream)}`;

	useEffect(() => {
		let current = true;
		setStored(undefined);
		setText("");
		setErrors(NONE);
		setStatus(null);
		api<StreamDetails>(path).then(
			(stream) => {
				if (!current) return;
				setStored(stream.schema);
				setText(schemaText(stream.schema));
				setLoadError(null);
			},
			(failure) => current && setLoadError(errorMessage(failure)),
		);
		return () => {
			current = false;
		};
	}, [path]);

	/** Sends the schema (or null to remove it); a refusal is shown where it belongs and takes focus there. */
	async function send(schema: Schema | null, done: string) {
		setBusy(true);
		setStatus(null);
		try {
			const stream = await api<StreamDetails>(path, { method: "PATCH", body: { schema } });
			setStored(stream.schema);
			setText(schemaText(stream.schema));
			setErrors(NONE);
			setStatus(done);
		} catch (failure) {
			const found =
				failure instanceof ApiError && failure.details.length > 0
					? schemaProblems(failure.details)
					: { problems: [], other: [errorMessage(failure)] };
			show(found);
		} finally {
			setBusy(false);
		}
	}

	function show(found: Problems) {
		setErrors(found);
		if (found.problems.length > 0) editor.current?.focus();
		else summary.current?.focus();
	}

	function save(event?: Event) {
		event?.preventDefault();
		const parsed = parseSchemaText(text);
		if ("problem" in parsed) {
			setStatus(null);
			show({ problems: [{ pointer: "", message: parsed.problem }], other: [] });
			return;
		}
		void send(parsed.schema, "Schema saved. Requests received from now on are checked against it (within 60 s everywhere).");
	}

	function suggest() {
		const values = props.itemValues();
		setText(schemaText(suggestSchema(values)));
		setErrors(NONE);
		setStatus(`Suggested from ${values.length.toLocaleString("en-US")} item${values.length === 1 ? "" : "s"}: review it, then Save. Nothing is stored yet.`);
	}

	const dirty = stored !== undefined && text !== schemaText(stored);
	const errorId = "schema-editor-error";
	return (
		<section aria-labelledby="schema-heading" class="panel schema-panel">
			<div class="section-head">
				<h2 id="schema-heading">Item schema</h2>
				<button type="button" class="button secondary" disabled={props.count === 0 || stored === undefined} onClick={suggest}>
					Suggest from current items
				</button>
			</div>
			<p class="muted small" data-testid="schema-state">
				{stored === undefined
					? "Loading…"
					: stored === null
						? "No schema: items are accepted whatever their fields."
						: "Items sent in upsert and replace requests must match this schema; a request with any item that does not is refused whole (400)."}
			</p>
			<ErrorAlert>{loadError}</ErrorAlert>
			<form onSubmit={save} noValidate>
				<div ref={summary} tabIndex={-1} role="alert" class={errors.other.length ? "form-errors" : "form-errors empty"}>
					{errors.other.map((message) => (
						<p key={message}>{message}</p>
					))}
				</div>
				<div class={errors.problems.length ? "field field-invalid" : "field"}>
					<label for="schema-editor">Schema (JSON)</label>
					<p class="hint" id="schema-editor-hint">
						JSON Schema draft 2020-12 for one item, with <code>"type": "object"</code> at the top, at most 64 KB; a{" "}
						<code>$ref</code> may only point within it (<code>#…</code>). Tab leaves the editor; Ctrl+Enter saves.
					</p>
					<textarea
						id="schema-editor"
						ref={editor}
						class="code-editor"
						rows={Math.min(MAX_ROWS, Math.max(MIN_ROWS, text.split("\n").length + 1))}
						spellcheck={false}
						autoComplete="off"
						autoCapitalize="off"
						value={text}
						disabled={stored === undefined}
						aria-invalid={errors.problems.length ? "true" : undefined}
						aria-describedby={errors.problems.length ? `schema-editor-hint ${errorId}` : "schema-editor-hint"}
						onInput={(event) => setText(event.currentTarget.value)}
						onKeyDown={(event) => {
							if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) save(event);
						}}
					/>
					{errors.problems.length > 0 && (
						<ul class="schema-problems" id={errorId} role="alert">
							{errors.problems.map((problem) => (
								<li key={`${problem.pointer}:${problem.message}`}>
									{problem.pointer && (
										<>
											<code class="break">{problem.pointer}</code>:{" "}
										</>
									)}
									{problem.message}
								</li>
							))}
						</ul>
					)}
				</div>
				<div class="actions">
					<button type="submit" class="button" disabled={busy || stored === undefined}>
						{busy ? "Saving…" : "Save schema"}
					</button>
					<button type="button" class="button danger" disabled={busy || !stored} onClick={() => setConfirming(true)}>
						Remove schema
					</button>
					{dirty && <span class="muted small">Not saved yet.</span>}
					<span role="status" class="saved">
						{status}
					</span>
				</div>
			</form>
			<ConfirmDialog
				open={confirming}
				title="Remove this stream's schema?"
				confirmLabel="Remove schema"
				onCancel={() => setConfirming(false)}
				onConfirm={() => {
					setConfirming(false);
					void send(null, "Schema removed. Items are no longer checked.");
				}}
			>
				<p>
					Items of <code class="break">{props.stream}</code> are no longer checked against a schema: requests received from
					now on (within 60 s everywhere) are accepted whatever their fields. Items already stored stay.
				</p>
			</ConfirmDialog>
		</section>
	);
}
