import { useRef, useState } from "preact/hooks";
import { ApiError, api, errorMessage } from "../api";
import { type FormErrors, formErrors } from "../field-errors";
import { type ConnectorFields, EMPTY_FIELDS, FIELD_OF_PATH, FIELD_ORDER, connectorBody, fieldsOf } from "../connector-fields";
import type { Connector } from "../types";
import { TextField } from "./text-field";

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
	const [fields, setFields] = useState<ConnectorFields>(props.connector ? fieldsOf(props.connector) : EMPTY_FIELDS);
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
			} else setFields(EMPTY_FIELDS);
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
