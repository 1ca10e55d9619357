import { WebPushError } from '../errors.js';

/**
 * The two ways a VAPID JWT travels (RFC 8292 §3 and the legacy draft-ietf-webpush-vapid-01):
 * `Authorization: vapid t=<jwt>, k=<key>` with aes128gcm, and `Authorization: WebPush <jwt>` plus
 * `Crypto-Key: p256ecdsa=<key>` with the legacy aesgcm encoding.
 */

/**
 * What a push service reads out of the request headers, before any check.
 *
 * @example
 * ```ts
 * const { scheme, token, publicKey }: ParsedVapidAuthorization = parseVapidAuthorization(authorization, cryptoKey);
 * ```
 */
export interface ParsedVapidAuthorization {
  /** `vapid` (RFC 8292) or `webpush` (legacy, with aesgcm). */
  scheme: 'vapid' | 'webpush';
  /** The JWT. */
  token: string;
  /** The public key as sent (`k`, or `p256ecdsa` in `Crypto-Key`), or undefined when absent. */
  publicKey: string | undefined;
}

const maxHeaderLength = 8192;
// RFC 7230 §3.2.6 tchar, the characters of an unquoted parameter value or a scheme name.
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function malformed(detail: string): never {
  throw new WebPushError('ERR_VAPID_MALFORMED', detail);
}

/**
 * Parses `name=value` parameters separated by `separator` (RFC 7235 §2.1 auth-params; values a
 * token, or a quoted-string, or base64 with `=` padding). Names are lower-cased.
 */
function parseParams(text: string, separator: RegExp, what: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(separator)) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) malformed(`${what} parameter ${JSON.stringify(item.slice(0, 40))} is not name=value`);
    const name = item.slice(0, eq).trim().toLowerCase();
    let value = item.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!token.test(name) || !token.test(value.replace(/=+$/, ''))) {
      malformed(`${what} parameter ${JSON.stringify(item.slice(0, 40))} has characters not allowed there`);
    }
    if (params.has(name)) malformed(`${what} has the parameter "${name}" twice`);
    params.set(name, value);
  }
  return params;
}

/**
 * Reads the VAPID parts of a request: the `Authorization` header in either scheme, and for
 * `WebPush` the `p256ecdsa` parameter of `Crypto-Key`. No header, or a scheme other than `vapid`
 * or `WebPush`, throws `ERR_VAPID_MISSING`; a header that cannot be parsed, `ERR_VAPID_MALFORMED`.
 * Checks nothing cryptographic: {@link VapidVerifier} does.
 *
 * @example
 * ```ts
 * parseVapidAuthorization('vapid t=eyJ0eXAi..., k=BN3f...');
 * // { scheme: 'vapid', token: 'eyJ0eXAi...', publicKey: 'BN3f...' }
 * parseVapidAuthorization('WebPush eyJ0eXAi...', 'dh=BC1x...;p256ecdsa=BN3f...');
 * // { scheme: 'webpush', token: 'eyJ0eXAi...', publicKey: 'BN3f...' }
 * ```
 */
export function parseVapidAuthorization(
  authorization: string | null | undefined,
  cryptoKey?: string | null,
): ParsedVapidAuthorization {
  if (authorization !== undefined && authorization !== null && typeof authorization !== 'string') {
    malformed(`Authorization must be a string, got ${typeof authorization}`);
  }
  if (authorization === undefined || authorization === null || authorization.trim() === '') {
    throw new WebPushError(
      'ERR_VAPID_MISSING',
      'the request has no Authorization header; VAPID (RFC 8292) requires one',
    );
  }
  if (authorization.length > maxHeaderLength)
    malformed(`Authorization is ${authorization.length} characters long`);
  const text = authorization.trim();
  const space = text.search(/[ \t]/);
  const scheme = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : text.slice(space + 1).trim();
  if (scheme === 'vapid') {
    const params = parseParams(rest, /,/, 'Authorization vapid');
    const t = params.get('t');
    const k = params.get('k');
    if (!t) malformed('Authorization "vapid" has no t= parameter (the JWT, RFC 8292 §3)');
    if (!k) malformed('Authorization "vapid" has no k= parameter (the public key, RFC 8292 §3.2)');
    return { scheme: 'vapid', token: t, publicKey: k };
  }
  if (scheme === 'webpush') {
    if (rest === '' || /[\s,]/.test(rest))
      malformed('Authorization "WebPush" must be followed by exactly one JWT');
    return { scheme: 'webpush', token: rest, publicKey: cryptoKeyPublicKey(cryptoKey) };
  }
  throw new WebPushError(
    'ERR_VAPID_MISSING',
    `Authorization uses the scheme ${JSON.stringify(scheme.slice(0, 20))}; VAPID needs "vapid" (RFC 8292) or "WebPush"`,
  );
}

function cryptoKeyPublicKey(cryptoKey: string | null | undefined): string | undefined {
  if (cryptoKey === undefined || cryptoKey === null) return undefined;
  if (typeof cryptoKey !== 'string') malformed(`Crypto-Key must be a string, got ${typeof cryptoKey}`);
  if (cryptoKey.length > maxHeaderLength) malformed(`Crypto-Key is ${cryptoKey.length} characters long`);
  let found: string | undefined;
  // Entries are separated by ',' and their parameters by ';' (draft-ietf-httpbis-encryption-encoding-03 §4).
  for (const entry of cryptoKey.split(',')) {
    const value = parseParams(entry, /;/, 'Crypto-Key').get('p256ecdsa');
    if (value === undefined) continue;
    if (found !== undefined && found !== value) malformed('Crypto-Key has two different p256ecdsa keys');
    found = value;
  }
  return found;
}

/** `Authorization` for aes128gcm (RFC 8292 §3). */
export function vapidAuthorization(token: string, publicKey: string): string {
  return `vapid t=${token}, k=${publicKey}`;
}

/** `Authorization` for aesgcm (draft-ietf-webpush-vapid-01 §4). */
export function webPushAuthorization(token: string): string {
  return `WebPush ${token}`;
}
