import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import type { PushRequest } from '../push-request.js';
import type { Transport, TransportResponse, TransportSendOptions } from '../send/transport.js';
import { closedError, networkError, timeoutError } from '../send/transport-errors.js';

/**
 * Options of {@link createUndiciTransport}.
 *
 * @example
 * ```ts
 * createUndiciTransport({ connections: 32, connect: { ca: readFileSync('ca.pem') } });
 * ```
 */
export interface UndiciTransportOptions {
  /**
   * Connections per push-service origin (HTTP/1.1 carries one request at a time on each, so
   * this bounds the requests in flight to one origin; more wait in the pool's queue).
   * Default 64.
   */
  connections?: number;
  /**
   * How long an idle connection is kept for reuse, in ms, unless the server's `Keep-Alive`
   * header says less. Default 4,000 (undici's): push services close idle connections without
   * notice, and a POST sent on a connection the server just closed fails.
   */
  keepAliveTimeout?: number;
  /** TLS and socket options for new connections (`ca`, `rejectUnauthorized`, `timeout`, ...). */
  connect?: Agent.Options['connect'];
  /**
   * An undici dispatcher of your own (a `ProxyAgent`, a `MockAgent`, an `Agent` with
   * interceptors). The transport then does not create one, and `close()` leaves it open.
   */
  dispatcher?: Dispatcher;
}

/**
 * The Node transport: an undici `Agent`, which keeps one `Pool` of keep-alive HTTP/1.1
 * connections per push-service origin and drops a pool once all its connections have closed.
 * Requests go through undici's dispatch API with a handler of our own, so no stream is created
 * per response and at most `maxResponseBytes` of a body are kept. Redirects are never followed.
 * The timeout covers the whole exchange, queueing included; when it fires, the request is
 * aborted, which destroys its socket.
 *
 * @example
 * ```ts
 * import { createUndiciTransport } from '@herald/webpush/node';
 * const transport = createUndiciTransport({ connections: 32 });
 * for await (const result of sendMany(items, { transport, vapid })) handle(result);
 * await transport.close();
 * ```
 */
export function createUndiciTransport(options?: UndiciTransportOptions): Transport {
  const owned = options?.dispatcher === undefined;
  const dispatcher =
    options?.dispatcher ??
    new Agent({
      connections: options?.connections ?? 64,
      keepAliveTimeout: options?.keepAliveTimeout ?? 4_000,
      ...(options?.connect === undefined ? {} : { connect: options.connect }),
    });
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  return {
    send(request, sendOptions) {
      if (closed) return Promise.reject(closedError());
      const pending = exchange(dispatcher, request, sendOptions);
      inFlight.add(pending);
      const forget = () => inFlight.delete(pending);
      pending.then(forget, forget);
      return pending;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight]);
      if (owned) await dispatcher.close();
    },
  };
}

function exchange(
  dispatcher: Dispatcher,
  request: PushRequest,
  options: TransportSendOptions,
): Promise<TransportResponse> {
  const { signal, timeout } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<TransportResponse>((resolve, reject) => {
    const handler = new ResponseHandler(request, options, resolve, reject);
    const origin = request.origin;
    // undici reports dispatch errors (a closed dispatcher, an invalid header) through
    // onResponseError; a throw here would be a bug in undici, surfaced as a network error.
    try {
      dispatcher.dispatch(
        {
          origin,
          path: request.url.slice(origin.length),
          method: request.method,
          headers: request.headers,
          body: request.body,
          // undici's own inactivity timers, as a second line behind the deadline below.
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        handler,
      );
    } catch (error) {
      reject(networkError(request, error));
      return;
    }
    handler.arm();
  });
}

/**
 * Collects one response. Settles exactly once: with the answer, or with `ERR_TIMEOUT`,
 * `ERR_NETWORK` or the caller's abort reason.
 */
class ResponseHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private settled = false;
  private truncated = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private status = 0;
  private headers: Record<string, string> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onAbort = () => this.abort(this.options.signal!.reason, false);

  constructor(
    private readonly request: PushRequest,
    private readonly options: TransportSendOptions,
    private readonly resolve: (response: TransportResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Starts the deadline and listens to the caller's signal. */
  arm(): void {
    if (this.settled) return;
    this.timer = setTimeout(() => {
      this.abort(timeoutError(this.request, this.options.timeout), true);
    }, this.options.timeout);
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private abort(reason: unknown, isTimeout: boolean): void {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    this.abortReason = error;
    // Settle now: a request still queued for a connection is only aborted once it gets one
    // (onRequestStart), and the caller must not wait for that.
    this.fail(isTimeout ? error : reason);
    this.controller?.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason !== undefined) controller.abort(this.abortReason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    const flat: Record<string, string> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.headers = flat;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const room = this.options.maxResponseBytes - this.size;
    if (chunk.length >= room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size += room;
      // Enough kept: stop reading. Aborting discards the connection, which is cheaper than
      // draining an unbounded body through it.
      this.truncated = true;
      this.succeed();
      controller.abort(new Error('response body beyond maxResponseBytes discarded'));
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    this.succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.truncated || this.settled) return;
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      this.fail(timeoutError(this.request, this.options.timeout, error));
    } else {
      this.fail(networkError(this.request, error));
    }
  }

  private succeed(): void {
    if (this.settled) return;
    this.cleanup();
    const body = this.chunks.length === 0 ? '' : Buffer.concat(this.chunks, this.size).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.cleanup();
    this.reject(error);
  }

  private cleanup(): void {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}
