/**
 * `@herald/push-service`: a push service of our own. Firefox (and the {@link HeadlessUserAgent})
 * connect over Mozilla's WebSocket push protocol; application servers push over RFC 8030.
 *
 * @packageDocumentation
 */
export { describeService, parseCli, usage } from './cli.js';
export { closeCodes } from './connections.js';
export { errorCodes, PushServiceError, type PushServiceErrorCode } from './errors.js';
export type { PushServiceEvents } from './events.js';
export { type ActiveFaultRule, type FaultAction, FaultInjector, type FaultRule } from './faults.js';
export { type PushRefusal, pushRefusals } from './http-errors.js';
export { maxBodyBytes, type VapidCheck } from './push-endpoint.js';
export type { RateLimitOptions } from './rate-limit.js';
export {
  type ClientTarget,
  PushService,
  type PushServiceOptions,
  type PushServiceStatus,
} from './service.js';
export { MemoryStore } from './storage/memory-store.js';
export { SqliteStore } from './storage/sqlite-store.js';
export type {
  ChannelRecord,
  ChannelState,
  MessageHeaders,
  PushStore,
  StoreCounts,
  StoredMessage,
} from './storage/store.js';
export {
  type HeadlessSubscription,
  HeadlessUserAgent,
  type HeadlessUserAgentEvents,
  type HeadlessUserAgentOptions,
  type ReceivedMessage,
} from './user-agent.js';
export { createVapidCheck } from './vapid-check.js';
