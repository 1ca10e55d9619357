import type { StoredMessage } from './storage/store.js';

/**
 * The events a {@link PushService} emits (`service.on('ua:hello', ...)`), for tests that wait for
 * a browser's handshake or a delivery, and for logs.
 *
 * @example
 * ```ts
 * service.on('ua:ack', (uaid, channelId, version, code) => console.log(uaid, code));
 * ```
 */
export interface PushServiceEvents {
  /** A user agent completed its hello; `reused` is false when it got a new uaid. */
  'ua:hello': [uaid: string, reused: boolean];
  /** A user agent subscribed. */
  'ua:register': [uaid: string, channelId: string, endpoint: string];
  /** A user agent unsubscribed. */
  'ua:unregister': [uaid: string, channelId: string];
  /** A user agent acknowledged a notification (code 100 delivered, 101 decryption failed, 102 not delivered). */
  'ua:ack': [uaid: string, channelId: string, version: string, code: number];
  /** A user agent reported a delivery error in its service worker. */
  'ua:nack': [uaid: string, version: string | undefined, code: number | undefined];
  /** A user agent's connection closed. */
  'ua:disconnect': [uaid: string];
  /** A connection broke the protocol and was closed. */
  'ua:protocol-error': [uaid: string | null, reason: string];
  /** A push was accepted (201). `delivered`: sent at once to a connected user agent. */
  'push:accepted': [message: StoredMessage, delivered: boolean];
  /** A notification went out on a WebSocket. */
  'message:sent': [message: StoredMessage];
}
