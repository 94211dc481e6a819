import { useRef, useState } from "preact/hooks";
import { ApiError, api, errorMessage } from "../api";
import { type FormErrors, formErrors } from "../field-errors";
import type { Connector } from "../types";
import { TextField } from "./text-field";

/** The form's text, as typed. */
export interface ConnectorFields {
	name: string;
	stream: string;
	item_key: string;
	requests: string;
	period_seconds: string;
}

/** Where the API's `details` paths land in the form. */
export const FIELD_OF_PATH: Record<string, keyof ConnectorFields> = {
	name: "name",
	stream: "stream",
	item_key: "item_key",
	rate_limit: "requests",
	"rate_limit.requests": "requests",
	"rate_limit.period_seconds": "period_seconds",
};

const FIELD_ORDER: (keyof ConnectorFields)[] = ["name", "stream", "item_key", "requests", "period_seconds"];

// Whole numbers go to the API as numbers; anything else goes as typed, so the API's own message explains it.
const numberOrText = (text: string): number | string => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : text);

/** The request body for the typed fields: empty optional fields are null, an empty rate limit is the default. */
export function connectorBody(fields: ConnectorFields, withStream: boolean): Record<string, unknown> {
	const body: Record<string, unknown> = {
		name: fields.name,
		item_key: fields.item_key.trim() === "" ? null : fields.item_key.trim(),
		rate_limit:
			fields.requests.trim() === "" && fields.period_seconds.trim() === ""
				? null
				: { requests: numberOrText(fields.requests), period_seconds: numberOrText(fields.period_seconds) },
	};
	if (withStream) body.stream = fields.stream.trim();
	return body;
}

/** The typed fields of an existing connector. */
export function fieldsOf(connector: Connector): ConnectorFields {
	return {
		name: connector.name,
		stream: connector.stream,
		item_key: connector.item_key ?? "",
		requests: connector.rate_limit ? String(connector.rate_limit.requests) : "",
		period_seconds: connector.rate_limit ? String(connector.rate_limit.period_seconds) : "",
	};
}

interface ConnectorFormProps {
	/** Present when editing: the stream cannot change. */
	connector?: Connector;
	idPrefix: string;
	submitLabel: string;
	onSaved: (connector: Connector) => void;
}

/** Creates a connector (POST) or edits one (PATCH), showing the API's validation errors beside each field. */
export function ConnectorForm(props: ConnectorFormProps) {
	const editing = props.connector !== undefined;
	const empty: ConnectorFields = { name: "", stream: "", item_key: "", requests: "", period_seconds: "" };
	const [fields, setFields] = useState<ConnectorFields>(props.connector ? fieldsOf(props.connector) : empty);
	const [errors, setErrors] = useState<FormErrors>({ fields: {}, other: [] });
	const [saved, setSaved] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const inputs = useRef<Partial<Record<keyof ConnectorFields, HTMLInputElement | null>>>({});
	const summary = useRef<HTMLDivElement>(null);

	const set = (name: keyof ConnectorFields) => (value: string) => setFields((current) => ({ ...current, [name]: value }));
	const field = (name: keyof ConnectorFields) => ({
		id: `${props.idPrefix}-${name.replace("_", "-")}`,
		value: fields[name],
		onInput: set(name),
		error: errors.fields[name],
		inputRef: (element: HTMLInputElement | null) => {
			inputs.current[name] = element;
		},
	});

	async function submit(event: Event) {
		event.preventDefault();
		setBusy(true);
		setSaved(null);
		try {
			const connector = await api<Connector>(editing ? `/api/admin/connectors/${props.connector?.id}` : "/api/admin/connectors", {
				method: editing ? "PATCH" : "POST",
				body: connectorBody(fields, !editing),
			});
			setErrors({ fields: {}, other: [] });
			if (editing) {
				setFields(fieldsOf(connector));
				setSaved("Settings saved.");
			} else setFields(empty);
			props.onSaved(connector);
		} catch (error) {
			const found =
				error instanceof ApiError && error.details.length > 0
					? formErrors(error.details, FIELD_OF_PATH)
					: { fields: {}, other: [errorMessage(error)] };
			setErrors(found);
			// Focus goes to the first field in error, or to the summary when no field is to blame.
			const first = FIELD_ORDER.find((name) => found.fields[name]);
			const target = first ? inputs.current[first] : null;
			if (target) target.focus();
			else summary.current?.focus();
		} finally {
			setBusy(false);
		}
	}

	return (
		<form onSubmit={submit} noValidate class="connector-form">
			<div ref={summary} tabIndex={-1} role="alert" class={errors.other.length ? "form-errors" : "form-errors empty"}>
				{errors.other.map((message) => (
					<p key={message}>{message}</p>
				))}
			</div>
			<TextField label="Name" autoComplete="off" {...field("name")} />
			{!editing && (
				<TextField
					label="Stream"
					hint="Lower-case letters, digits, _ and -. Connectors that name the same stream feed it together."
					{...field("stream")}
				/>
			)}
			<TextField
				label="Item key (optional)"
				hint="The field that identifies an item, such as region; an item sent again under the same key replaces it."
				{...field("item_key")}
			/>
			<fieldset class="rate-limit">
				<legend>Rate limit (optional; empty uses the project default)</legend>
				<TextField label="Requests" inputMode="numeric" {...field("requests")} />
				<TextField label="Per seconds" inputMode="numeric" {...field("period_seconds")} />
			</fieldset>
			<div class="actions">
				<button type="submit" class="button" disabled={busy}>
					{busy ? "Saving…" : props.submitLabel}
				</button>
				<span role="status" class="saved">
					{saved}
				</span>
			</div>
		</form>
	);
}
