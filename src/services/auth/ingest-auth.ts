import type { Connector } from "../../storage/connectors";
import { findActiveIngestKeys } from "../../storage/ingest-keys";
import { SECRET_PREFIX } from "./secrets";
import { secretResolver } from "./secret-resolver";

/** Who is ingesting: the key and its connector. */
export interface IngestPrincipal {
	keyId: string;
	hash: string;
	connector: Connector;
}

/** Ingest keys (`ik_live_…`) → their connector. */
export const ingestKeys = secretResolver<IngestPrincipal>(
	new RegExp(`^${SECRET_PREFIX.ingestKey}[A-Za-z0-9_-]{43}$`),
	findActiveIngestKeys,
);
