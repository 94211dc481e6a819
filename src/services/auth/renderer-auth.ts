import { findActiveRendererTokens } from "../../storage/renderer-tokens";
import { SECRET_PREFIX } from "./secrets";
import { secretResolver } from "./secret-resolver";

/** A renderer token's grant: read access to one stream. */
export interface RendererGrant {
	tokenId: string;
	hash: string;
	stream: string;
}

/** Renderer tokens (`rk_live_…`) → the stream they read. */
export const rendererTokens = secretResolver<RendererGrant>(
	new RegExp(`^${SECRET_PREFIX.rendererToken}[A-Za-z0-9_-]{43}$`),
	findActiveRendererTokens,
);
