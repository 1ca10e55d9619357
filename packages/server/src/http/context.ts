import type { LinkTokens } from '../auth/link-tokens.js';
import type { HeraldConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { EndpointPolicy } from '../push/endpoint-policy.js';
import type { ReceiptTokens } from '../push/receipt-tokens.js';
import type { Storage } from '../storage/storage.js';
import type { VapidKeyRing } from '../vapid-key-ring.js';

/** What the HTTP routes work with, built once at start. */
export interface AppContext {
  config: HeraldConfig;
  storage: Storage;
  keys: VapidKeyRing;
  linkTokens: LinkTokens;
  /** Signs and checks the per-delivery receipt tokens (docs/payload.md). */
  receipts: ReceiptTokens;
  endpoints: EndpointPolicy;
  metrics: Metrics;
}
