import { WebPushError } from '../errors.js';

/**
 * RFC 8292 §2: the JWT `aud` is the origin of the push resource URL (RFC 6454 §6.2:
 * `scheme://host[:port]`, no path, default port left out).
 */

// scheme://authority prefix -> origin. The sender asks once per message, and most endpoints share
// a handful of push services, so the URL parser runs once per prefix. Bounded, oldest dropped.
const origins = new Map<string, string>();
const maxOrigins = 1024;

/**
 * The VAPID audience (`aud`) for a push endpoint: its origin, `scheme://host[:port]`. Only
 * `https:` and `http:` endpoints have one; anything else throws `ERR_VAPID_AUDIENCE`. Cheap on
 * repeat calls: the result is memoised per `scheme://authority` prefix.
 *
 * @example
 * ```ts
 * vapidAudience('https://fcm.googleapis.com/fcm/send/abc:def'); // 'https://fcm.googleapis.com'
 * vapidAudience('https://push.example.net:8443/p/1?token=x'); // 'https://push.example.net:8443'
 * ```
 */
export function vapidAudience(endpoint: string): string {
  if (typeof endpoint !== 'string') {
    throw new WebPushError('ERR_VAPID_AUDIENCE', `endpoint must be a URL string, got ${typeof endpoint}`);
  }
  const end = authorityEnd(endpoint);
  if (end === -1) return parseOrigin(endpoint);
  const prefix = end === endpoint.length ? endpoint : endpoint.slice(0, end);
  const known = origins.get(prefix);
  if (known !== undefined) return known;
  const origin = parseOrigin(endpoint);
  if (origins.size >= maxOrigins) origins.delete(origins.keys().next().value!);
  origins.set(prefix, origin);
  return origin;
}

/**
 * Where the authority of a plain `http(s)://host[:port]` endpoint ends, or -1 when the endpoint
 * is anything less plain (credentials, escapes, backslashes, odd slashes): those go to the URL
 * parser every time. With only these characters the WHATWG URL parser ends the authority at the
 * first '/', '?' or '#', so endpoints sharing the prefix share the origin.
 */
function authorityEnd(endpoint: string): number {
  let i: number;
  if (endpoint.startsWith('https://')) i = 8;
  else if (endpoint.startsWith('http://')) i = 7;
  else return -1;
  const start = i;
  for (; i < endpoint.length; i++) {
    const c = endpoint.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    const plain =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 58) ||
      c === 46 ||
      c === 45 ||
      c === 91 ||
      c === 93;
    if (!plain) return -1;
  }
  return i === start ? -1 : i;
}

function parseOrigin(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new WebPushError(
      'ERR_VAPID_AUDIENCE',
      `endpoint must be an absolute http(s) URL, got ${JSON.stringify(endpoint.slice(0, 100))}`,
      { cause },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WebPushError(
      'ERR_VAPID_AUDIENCE',
      `endpoint must be an https: (or, for local testing, http:) URL, got ${url.protocol} URL`,
    );
  }
  return url.origin;
}
