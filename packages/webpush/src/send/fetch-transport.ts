import type { PushRequest } from '../push-request.js';
import type { Transport, TransportResponse, TransportSendOptions } from './transport.js';
import { closedError, networkError, timeoutError } from './transport-errors.js';

/**
 * Options of {@link createFetchTransport}.
 *
 * @example
 * ```ts
 * createFetchTransport({ fetch: myInstrumentedFetch });
 * ```
 */
export interface FetchTransportOptions {
  /** The `fetch` to call. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * A {@link Transport} over the standard `fetch`, for every runtime (Deno, Bun, Cloudflare
 * Workers, browsers, Node). Redirects are not followed (`redirect: 'manual'`); browsers then
 * report a redirect as status 0, which classifies as `push-service-error`. Connection reuse is
 * whatever the runtime's `fetch` does. On Node prefer `createUndiciTransport()`.
 *
 * @example
 * ```ts
 * const transport = createFetchTransport();
 * const result = await sendNotification(subscription, 'hi', { vapid, transport });
 * await transport.close();
 * ```
 */
export function createFetchTransport(options?: FetchTransportOptions): Transport {
  const fetchImpl = options?.fetch ?? globalThis.fetch;
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  async function exchange(request: PushRequest, options: TransportSendOptions): Promise<TransportResponse> {
    const { signal, timeout } = options;
    if (signal?.aborted) throw signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(timeoutError(request, timeout));
    }, timeout);
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: withoutContentLength(request.headers),
        body: request.body as BodyInit | null,
        redirect: 'manual',
        signal: controller.signal,
      });
      const body = await readText(response, options.maxResponseBytes);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return { status: response.status, headers, body };
    } catch (cause) {
      if (timedOut) throw timeoutError(request, timeout, cause);
      if (signal?.aborted) throw signal.reason;
      throw networkError(request, cause);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    send(request, options) {
      if (closed) return Promise.reject(closedError());
      const pending = exchange(request, options);
      inFlight.add(pending);
      const forget = () => inFlight.delete(pending);
      pending.then(forget, forget);
      return pending;
    },
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * `fetch` computes `Content-Length` from the body itself: browsers forbid setting it, and
 * Node 20's built-in fetch rejects it ("invalid content-length header") once undici 7 has
 * installed its dispatcher globally, which importing undici does.
 */
function withoutContentLength(headers: Readonly<Record<string, string>>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const name in headers) if (name !== 'content-length') copy[name] = headers[name]!;
  return copy;
}

/** Reads at most `limit` bytes of the body as UTF-8 text, then cancels the rest. */
async function readText(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - size;
      const chunk = value.length > room ? value.subarray(0, room) : value;
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    if (size >= limit) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const decoder = new TextDecoder();
  let text = '';
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
