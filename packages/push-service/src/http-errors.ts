import type { ServerResponse } from 'node:http';

/**
 * What the push service answers an application server that it refuses, in autopush's JSON
 * form `{code, errno, error, message, more_info}` (autopush-rs `autoendpoint/src/error.rs`).
 * One table maps every refusal to its HTTP status and errno, so the conformance tests and
 * `README.md` can list them exhaustively.
 *
 * @example
 * ```ts
 * pushRefusals.missingTtl; // { status: 400, errno: 111 }
 * ```
 */
export const pushRefusals = {
  /** A request with a body but no or an unknown `Content-Encoding`, or bad `Encryption`/`Crypto-Key`. */
  invalidEncryption: { status: 400, errno: 110 },
  /** `TTL` missing or not an integer (RFC 8030 §5.2 makes it mandatory). */
  missingTtl: { status: 400, errno: 111 },
  /**
   * `Urgency` not one of RFC 8030 §5.3's values. autopush has no errno for it (it does not check
   * the header); we reuse 112, its "invalid header value" number.
   */
  invalidUrgency: { status: 400, errno: 112 },
  /** `Topic` longer than 32 characters or outside the base64url alphabet (RFC 8030 §5.4). */
  invalidTopic: { status: 400, errno: 113 },
  /** A negative `TTL`. */
  invalidTtl: { status: 400, errno: 114 },
  /** VAPID missing where the subscription has a key, or invalid (RFC 8292 §4.1 via autopush). */
  unauthorized: { status: 401, errno: 109 },
  /** No subscription behind this URL. */
  notFound: { status: 404, errno: 102 },
  /** Anything but POST on a subscription URL. */
  methodNotAllowed: { status: 405, errno: 999 },
  /** Subscription expired (fault injection: `expire`). */
  expired: { status: 410, errno: 103 },
  /** The user agent behind the subscription was dropped (its uaid was reset). */
  userAgentGone: { status: 410, errno: 105 },
  /** The user agent unsubscribed. */
  unsubscribed: { status: 410, errno: 106 },
  /** The encrypted body is larger than 4096 bytes (RFC 8291 §4). */
  tooLarge: { status: 413, errno: 104 },
  /** Rate limit or injected 429: retry after `Retry-After` seconds. */
  tooManyRequests: { status: 429, errno: 201 },
  /** Injected 500. */
  internalError: { status: 500, errno: 999 },
  /** Injected 503: retry after `Retry-After` seconds. */
  unavailable: { status: 503, errno: 202 },
} as const;

/**
 * A key of {@link pushRefusals}.
 *
 * @example
 * ```ts
 * const refusal: PushRefusal = 'tooLarge';
 * ```
 */
export type PushRefusal = keyof typeof pushRefusals;

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const moreInfo = 'https://autopush.readthedocs.io/en/latest/http.html#error-codes';

/**
 * Writes a refusal in autopush's JSON form. Gone answers carry `Cache-Control: max-age=86400`
 * like autopush; 429 and 503 carry `Retry-After` (seconds, RFC 9110 §10.2.3).
 */
export function sendRefusal(
  res: ServerResponse,
  refusal: PushRefusal,
  message: string,
  retryAfterSeconds?: number,
): void {
  const { status, errno } = pushRefusals[refusal];
  const body = JSON.stringify({ code: status, errno, error: reasons[status], message, more_info: moreInfo });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (status === 410) headers['cache-control'] = 'max-age=86400';
  if (retryAfterSeconds !== undefined) headers['retry-after'] = Math.max(0, Math.ceil(retryAfterSeconds));
  res.writeHead(status, headers);
  res.end(body);
}
