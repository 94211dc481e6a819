// The API's shapes as the dashboard reads them: inferred from the zod schemas the Worker validates and documents with.
import type { z } from "zod";
import type * as Api from "../edge/admin/schemas";

export type { StreamItem } from "../client/frames";
export { LOG_STATUSES, type LogStatus } from "../model/log-status";

export type RateLimit = z.infer<typeof Api.RateLimit>;
export type Connector = z.infer<typeof Api.Connector>;
export type ConnectorStats = z.infer<typeof Api.ConnectorStats>;
export type ListedConnector = Connector & { stats: ConnectorStats };
export type IngestKey = z.infer<typeof Api.IngestKeyInfo>;
export type CreatedKey = z.infer<typeof Api.CreatedIngestKey>;
export type ConnectorWithKeys = z.infer<typeof Api.ConnectorWithKeys>;
export type LogEntry = z.infer<typeof Api.LogEntry>;
export type LogPage = Omit<z.infer<typeof Api.LogPage>, "success">;
/** A stream as `GET /api/admin/streams` lists it. */
export type ListedStream = z.infer<typeof Api.StreamInfo>;
/** A stream as `GET /api/admin/streams/:stream` answers: the listing plus its summary. */
export type StreamDetails = z.infer<typeof Api.StreamDetail>;
