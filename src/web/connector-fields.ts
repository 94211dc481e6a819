import type { Connector } from "./types";

/** The form's text, as typed. */
export interface ConnectorFields {
	name: string;
	stream: string;
	item_key: string;
	requests: string;
	period_seconds: string;
}

/** An empty form. */
export const EMPTY_FIELDS: ConnectorFields = { name: "", stream: "", item_key: "", requests: "", period_seconds: "" };

/** Where the API's `details` paths land in the form. */
export const FIELD_OF_PATH: Record<string, keyof ConnectorFields> = {
	name: "name",
	stream: "stream",
	item_key: "item_key",
	rate_limit: "requests",
	"rate_limit.requests": "requests",
	"rate_limit.period_seconds": "period_seconds",
};

/** The fields in the order they appear, for moving focus to the first one in error. */
export const FIELD_ORDER: (keyof ConnectorFields)[] = ["name", "stream", "item_key", "requests", "period_seconds"];

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
