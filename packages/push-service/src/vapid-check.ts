import { decodeBase64Url, defaultBackend, encodeBase64Url } from '@herald/webpush';
import type { VapidCheck } from './push-endpoint.js';

/** RFC 8292 §2: a JWT's `exp` must be no more than 24 hours ahead. */
const maxExpirySeconds = 24 * 3600;
const maxCacheEntries = 10_000;
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** The JWT and public key of an `Authorization` header, either scheme. */
function parseAuthorization(
  authorization: string,
  cryptoKey: string | undefined,
): { jwt: string; key: string } | string {
  const space = authorization.indexOf(' ');
  const scheme = authorization.slice(0, space).toLowerCase();
  const rest = authorization.slice(space + 1).trim();
  if (scheme === 'vapid') {
    // RFC 8292 §3: `vapid t=<JWT>, k=<key>`.
    let jwt: string | undefined;
    let key: string | undefined;
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim();
      if (name === 't') jwt = value;
      else if (name === 'k') key = value;
    }
    if (!jwt || !key) return 'the vapid Authorization header needs t= (the JWT) and k= (the public key)';
    return { jwt, key };
  }
  if (scheme === 'webpush') {
    // draft-ietf-webpush-vapid-01 (with aesgcm): `WebPush <JWT>` and `Crypto-Key: p256ecdsa=<key>`.
    const key = cryptoKey
      ?.split(/[,;]/)
      .map((part) => part.trim())
      .find((part) => part.toLowerCase().startsWith('p256ecdsa='))
      ?.slice('p256ecdsa='.length);
    if (!key) return 'the WebPush Authorization scheme needs a Crypto-Key header with p256ecdsa=';
    return { jwt: rest, key };
  }
  return `the Authorization scheme must be vapid or WebPush, got ${JSON.stringify(scheme.slice(0, 20))}`;
}

function decodeJson(part: string, what: string): Record<string, unknown> | string {
  try {
    const value = JSON.parse(textDecoder.decode(decodeBase64Url(part, what)));
    return typeof value === 'object' && value !== null ? value : `the JWT ${what} is not a JSON object`;
  } catch {
    return `the JWT ${what} is not base64url JSON`;
  }
}

/**
 * The push service's VAPID check (RFC 8292 §4.1 and autopush's rules): the key in the header
 * must be the one the subscription was registered with, the JWT an ES256 signature by it with
 * `aud` = the service's origin and `exp` in the future but at most 24 h ahead. A subscription
 * registered without a key accepts pushes without VAPID, and checks VAPID when it is sent.
 *
 * A verified header is cached until its `exp` (keyed by the header and the expected key),
 * because senders reuse one JWT per audience for hours: the signature is checked once, not per
 * push.
 *
 * @example
 * ```ts
 * const check = createVapidCheck();
 * const problem = await check({ authorization, cryptoKey, expectedKey, audience: 'https://push.example' });
 * ```
 */
export function createVapidCheck(): VapidCheck {
  const verified = new Map<string, number>();
  return async ({ authorization, cryptoKey, expectedKey, audience }) => {
    if (authorization === undefined || authorization === '') {
      return expectedKey === null
        ? null
        : 'this subscription was created with an applicationServerKey: VAPID authorization is required';
    }
    const cacheKey = `${expectedKey}|${audience}|${authorization}|${cryptoKey ?? ''}`;
    const now = Date.now();
    const until = verified.get(cacheKey);
    if (until !== undefined) {
      if (until > now) return null;
      verified.delete(cacheKey);
    }

    const parsed = parseAuthorization(authorization, cryptoKey);
    if (typeof parsed === 'string') return parsed;
    let publicKey: Uint8Array;
    try {
      publicKey = decodeBase64Url(parsed.key, 'VAPID public key');
    } catch {
      return 'the VAPID public key is not base64url';
    }
    if (expectedKey !== null && encodeBase64Url(publicKey) !== expectedKey) {
      return 'the VAPID public key is not the applicationServerKey this subscription was created with';
    }
    const parts = parsed.jwt.split('.');
    if (parts.length !== 3) return `the JWT must have 3 parts, got ${parts.length}`;
    const header = decodeJson(parts[0]!, 'header');
    if (typeof header === 'string') return header;
    if (header.alg !== 'ES256') return `the JWT alg must be ES256, got ${JSON.stringify(header.alg)}`;
    const claims = decodeJson(parts[1]!, 'payload');
    if (typeof claims === 'string') return claims;
    if (claims.aud !== audience) {
      return `the JWT aud must be the push service's origin ${audience}, got ${JSON.stringify(claims.aud)}`;
    }
    const exp = claims.exp;
    const nowSeconds = now / 1000;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'the JWT needs a numeric exp';
    if (exp <= nowSeconds) return 'the JWT has expired';
    if (exp > nowSeconds + maxExpirySeconds)
      return 'the JWT exp must be at most 24 hours ahead (RFC 8292 §2)';

    let valid = false;
    try {
      const signature = decodeBase64Url(parts[2]!, 'JWT signature');
      const key = await defaultBackend.importVerifyingKey(publicKey);
      valid =
        signature.length === 64 &&
        (await defaultBackend.verify(key, textEncoder.encode(`${parts[0]}.${parts[1]}`), signature));
    } catch {
      valid = false;
    }
    if (!valid) return 'the JWT signature does not verify with the VAPID public key';
    if (verified.size >= maxCacheEntries) verified.clear();
    verified.set(cacheKey, exp * 1000);
    return null;
  };
}
