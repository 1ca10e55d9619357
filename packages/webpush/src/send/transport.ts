import type { PushRequest } from '../push-request.js';

/**
 * A push service's answer, as a {@link Transport} hands it back: the status, the response
 * headers (lower-case names; repeated headers joined with `, `), and the start of the body as
 * text, cut at `maxResponseBytes` (push services answer errors with a short JSON or text).
 *
 * @example
 * ```ts
 * const response: TransportResponse = { status: 201, headers: { location: '/m/1' }, body: '' };
 * ```
 */
export interface TransportResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * How one request is sent.
 *
 * @example
 * ```ts
 * await transport.send(request, { timeout: 10_000, maxResponseBytes: 16_384 });
 * ```
 */
export interface TransportSendOptions {
  /**
   * The whole exchange (waiting for a connection, sending, the headers and the body of the
   * answer) must finish within this many milliseconds; then the request is aborted, its
   * connection destroyed, and `send` rejects with `ERR_TIMEOUT`.
   */
  timeout: number;
  /** Cancels the request; `send` then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Bytes of the response body to keep; the rest is discarded. */
  maxResponseBytes: number;
}

/**
 * The small interface through which requests reach push services. Implementations must never
 * follow redirects (a 3xx is an answer like any other: following it would let an endpoint steer
 * the sender anywhere), must enforce `timeout` over the whole exchange, and must reject only
 * with a `WebPushError` coded `ERR_TIMEOUT`, `ERR_NETWORK` or `ERR_TRANSPORT_CLOSED`, or with
 * the reason of an aborted `signal`. Every HTTP status resolves.
 *
 * Herald ships two: `createFetchTransport()` (any runtime) and, on Node, `createUndiciTransport()`
 * (an undici `Pool` per push-service origin, kept alive; far faster than `fetch`).
 * `createTransport()` picks the runtime's best.
 *
 * @example
 * ```ts
 * const transport = createTransport();
 * try {
 *   for await (const result of sendMany(items, { transport, vapid })) console.log(result.kind);
 * } finally {
 *   await transport.close();
 * }
 * ```
 */
export interface Transport {
  /** Sends one request and resolves with the push service's answer, whatever its status. */
  send(request: PushRequest, options: TransportSendOptions): Promise<TransportResponse>;
  /**
   * Stops accepting requests (later `send` calls reject with `ERR_TRANSPORT_CLOSED`), lets the
   * requests in flight finish, and releases connections.
   */
  close(): Promise<void>;
}
