import { createRuntimeTransport } from '#transport';
import type { Transport } from './transport.js';

/**
 * Creates the runtime's best transport: on Node an undici `Pool` per push-service origin
 * (`createUndiciTransport()`), elsewhere `fetch` (`createFetchTransport()`). The `#transport`
 * import picks it by export condition, as `#backend` picks the crypto backend. Close it when
 * done; idle connections do not keep a Node process alive.
 *
 * @example
 * ```ts
 * const transport = createTransport();
 * const result = await sendNotification(subscription, 'hi', { vapid, transport });
 * await transport.close();
 * ```
 */
export function createTransport(): Transport {
  return createRuntimeTransport();
}

let shared: Transport | undefined;

/** The transport used when a send names none, created on first use and never closed. */
export function sharedTransport(): Transport {
  shared ??= createRuntimeTransport();
  return shared;
}
