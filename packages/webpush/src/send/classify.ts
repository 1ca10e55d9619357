import { describeValue } from '../describe-value.js';
import { WebPushError } from '../errors.js';
import type { PushRequest } from '../push-request.js';
import { parseRetryAfter } from './retry-after.js';
import type { TransportResponse } from './transport.js';

/**
 * The stable kinds a send can end in. Branch on these, never on messages.
 *
 * | kind | when | retryable |
 * |---|---|---|
 * | `delivered` | 2xx (RFC 8030: 201 Created, `Location` names the message; WNS answers 200) | no |
 * | `gone` | 404, 410: the subscription expired or was removed; delete it | no |
 * | `payload-too-large` | 413 | no |
 * | `throttled` | 429, 503, and 406 from WNS: retry after `retryAfterMs` | yes |
 * | `bad-request` | 400: malformed request (Mozilla: missing TTL, bad Topic) | no |
 * | `unauthorized` | 401, 403: VAPID signature, key mismatch, bad `sub` | no |
 * | `push-service-error` | any other status: other 4xx, 5xx, a 3xx (redirects are never followed) | 5xx only |
 * | `network-error` | no complete answer: refused, reset, DNS, TLS | yes |
 * | `timeout` | no complete answer within the timeout | yes |
 *
 * @example
 * ```ts
 * const kind: SendResultKind = result.kind;
 * ```
 */
export type SendResultKind =
  | 'delivered'
  | 'gone'
  | 'payload-too-large'
  | 'throttled'
  | 'bad-request'
  | 'unauthorized'
  | 'push-service-error'
  | 'network-error'
  | 'timeout';

/**
 * The push service accepted the message.
 *
 * @example
 * ```ts
 * if (result.kind === 'delivered') log(result.location);
 * ```
 */
export interface DeliveredResult {
  kind: 'delivered';
  ok: true;
  retryable: false;
  /** The endpoint the message was sent to. */
  endpoint: string;
  status: number;
  /** RFC 8030 §5: the URL of the created message resource, when the service gives one. */
  location: string | undefined;
}

/**
 * What every answer with an error status carries.
 *
 * @example
 * ```ts
 * const { status, reason, errno }: ErrorAnswer = result;
 * ```
 */
export interface ErrorAnswer {
  ok: false;
  endpoint: string;
  status: number;
  /** The start of the response body (at most {@link maxSnippetLength} characters). */
  body: string;
  /**
   * The push service's own reason when it gives one: Mozilla's JSON `message` (or `error`),
   * Apple's JSON `reason`, else the first line of a text body (FCM).
   */
  reason: string | undefined;
  /** Mozilla's `errno` (102 invalid URL, 103/105/106 gone, 104 too large, 109 VAPID, ...). */
  errno: number | undefined;
}

/** The kinds of {@link RejectedResult}. */
type RejectedKind = 'gone' | 'payload-too-large' | 'bad-request' | 'unauthorized' | 'push-service-error';

/**
 * The push service answered with an error status other than throttling: one object type per
 * kind, so that checking `kind` narrows. `retryable` is true only for a 5xx
 * `push-service-error`.
 *
 * @example
 * ```ts
 * if (result.kind === 'unauthorized') console.error(result.status, result.reason);
 * ```
 */
export type RejectedResult = {
  [K in RejectedKind]: ErrorAnswer & {
    kind: K;
    retryable: K extends 'push-service-error' ? boolean : false;
  };
}[RejectedKind];

/**
 * The push service asked to slow down (429, 503, WNS 406).
 *
 * @example
 * ```ts
 * if (result.kind === 'throttled') await sleep(result.retryAfterMs ?? backoff(attempt));
 * ```
 */
export interface ThrottledResult extends ErrorAnswer {
  kind: 'throttled';
  retryable: true;
  /** The `Retry-After` delay in ms (from seconds or an HTTP date), when the service sent one. */
  retryAfterMs: number | undefined;
}

/**
 * No complete answer arrived (`timeout` or `network-error`): the message may or may not have
 * reached the push service. One object type per kind, so that checking `kind` narrows.
 *
 * @example
 * ```ts
 * if (result.kind === 'timeout' || result.kind === 'network-error') console.warn(result.error.message);
 * ```
 */
export type FailedResult = {
  [K in 'network-error' | 'timeout']: {
    kind: K;
    ok: false;
    retryable: true;
    endpoint: string;
    status: undefined;
    /** `ERR_TIMEOUT` or `ERR_NETWORK`, with the underlying error as `cause`. */
    error: WebPushError;
  };
}['network-error' | 'timeout'];

/**
 * The typed outcome of one send. Results are values: only invalid input (before anything is
 * sent) and caller cancellation throw.
 *
 * @example
 * ```ts
 * const result: SendResult = await sendNotification(subscription, 'hi', { vapid });
 * switch (result.kind) {
 *   case 'delivered': break;
 *   case 'gone': await store.remove(subscription); break;
 *   case 'throttled': queue.retryIn(result.retryAfterMs ?? 60_000); break;
 *   default: if (result.retryable) queue.retryIn(backoff());
 * }
 * ```
 */
export type SendResult = DeliveredResult | RejectedResult | ThrottledResult | FailedResult;

/**
 * How much of an error body results keep.
 *
 * @example
 * ```ts
 * result.body.length <= maxSnippetLength;
 * ```
 */
export const maxSnippetLength = 512;

const wnsHost = '.notify.windows.com';

/**
 * Classifies a push service's answer (see {@link SendResultKind} for the table). Useful to
 * callers with transports of their own.
 *
 * @example
 * ```ts
 * classifyResponse(request, { status: 410, headers: {}, body: '' }).kind; // 'gone'
 * ```
 */
export function classifyResponse(
  request: Pick<PushRequest, 'url' | 'origin'>,
  response: TransportResponse,
  now?: number,
): SendResult {
  const status = response.status;
  if (status >= 200 && status < 300) {
    return {
      kind: 'delivered',
      ok: true,
      retryable: false,
      endpoint: request.url,
      status,
      location: response.headers.location,
    };
  }
  const body =
    response.body.length > maxSnippetLength ? response.body.slice(0, maxSnippetLength) : response.body;
  const { reason, errno } = explain(response.body);
  if (status === 429 || status === 503 || (status === 406 && isWns(request.origin))) {
    return {
      kind: 'throttled',
      ok: false,
      retryable: true,
      endpoint: request.url,
      status,
      body,
      reason,
      errno,
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], now),
    };
  }
  const kind = kindOf(status);
  return {
    kind,
    ok: false,
    retryable: kind === 'push-service-error' && status >= 500,
    endpoint: request.url,
    status,
    body,
    reason,
    errno,
  } as RejectedResult;
}

/**
 * Turns what a transport rejected with into a `timeout` or `network-error` result.
 *
 * @example
 * ```ts
 * classifyFailure(request, new WebPushError('ERR_TIMEOUT', 'slow')).kind; // 'timeout'
 * ```
 */
export function classifyFailure(request: Pick<PushRequest, 'url' | 'origin'>, error: unknown): FailedResult {
  const failure =
    error instanceof WebPushError && (error.code === 'ERR_TIMEOUT' || error.code === 'ERR_NETWORK')
      ? error
      : new WebPushError(
          'ERR_NETWORK',
          `request to ${request.origin} failed: ${error instanceof Error ? error.message : describeValue(error)}`,
          { cause: error },
        );
  return {
    kind: failure.code === 'ERR_TIMEOUT' ? ('timeout' as const) : ('network-error' as const),
    ok: false,
    retryable: true,
    endpoint: request.url,
    status: undefined,
    error: failure,
  };
}

function isWns(origin: string): boolean {
  // The origin has no port for https on 443, so the host name ends the string.
  return origin.endsWith(wnsHost);
}

function kindOf(status: number): RejectedKind {
  switch (status) {
    case 404:
    case 410:
      return 'gone';
    case 413:
      return 'payload-too-large';
    case 400:
      return 'bad-request';
    case 401:
    case 403:
      return 'unauthorized';
    default:
      return 'push-service-error';
  }
}

/**
 * Reads the reason out of Mozilla's `{code, errno, error, message}`, Apple's `{reason}`,
 * `{error: {message}}`, or a text body.
 */
function explain(body: string): { reason: string | undefined; errno: number | undefined } {
  const text = body.trim();
  if (text.length === 0) return { reason: undefined, errno: undefined };
  if (text.charCodeAt(0) === 123 /* { */) {
    try {
      const json: unknown = JSON.parse(text);
      if (typeof json === 'object' && json !== null) {
        const { message, error, reason, errno } = json as Record<string, unknown>;
        // Some services nest it: { error: { message } } (Google APIs, web-push-testing).
        const nested =
          typeof error === 'object' && error !== null
            ? (error as Record<string, unknown>).message
            : undefined;
        const said = [reason, message, error, nested].find(
          (v): v is string => typeof v === 'string' && v !== '',
        );
        return {
          reason: said === undefined ? undefined : oneLine(said),
          errno: typeof errno === 'number' && Number.isInteger(errno) ? errno : undefined,
        };
      }
    } catch {
      // Not JSON after all (or cut at maxResponseBytes): fall back to the text.
    }
  }
  return { reason: oneLine(text), errno: undefined };
}

function oneLine(text: string): string {
  const end = text.search(/[\r\n]/);
  const line = (end === -1 ? text : text.slice(0, end)).trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
