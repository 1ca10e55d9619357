/**
 * One HTTP request to a push service, ready to send (RFC 8030 §5): what
 * `buildPushRequest` returns and what a `Transport` sends. Header names are lower case.
 *
 * @example
 * ```ts
 * const request: PushRequest = await buildPushRequest(subscription, 'hello', { vapid });
 * await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
 * ```
 */
export interface PushRequest {
  /** The subscription's endpoint, query string included. */
  url: string;
  /** The endpoint's origin: the key transports pool connections by and the VAPID audience. */
  origin: string;
  /** Always `POST` (RFC 8030 §5). */
  method: 'POST';
  /** Request headers with lower-case names. */
  headers: Record<string, string>;
  /** The encrypted body, or `null` for a message without payload. */
  body: Uint8Array | null;
}
