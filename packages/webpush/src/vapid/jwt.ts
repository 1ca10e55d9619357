import { encodeBase64Url } from '../base64url.js';
import { textEncoder } from '../bytes.js';
import type { CryptoBackend, SigningKey } from '../crypto/backend.js';
import { WebPushError } from '../errors.js';
import { decodeCanonicalBase64Url } from './canonical-base64url.js';

/**
 * The VAPID JWT (RFC 8292 §2): a JWS compact serialisation (RFC 7515 §7.1) signed with ES256
 * (RFC 7518 §3.4: r || s, 64 bytes), carrying `aud`, `exp` and `sub`. Internal: the signer and
 * the verifier build on it.
 */

/** The claims of a VAPID JWT. */
export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/** A parsed, not yet verified, JWT. */
export interface ParsedJwt {
  /** The ASCII bytes of `header.payload`, what the signature covers. */
  signingInput: Uint8Array;
  signature: Uint8Array;
  claims: Record<string, unknown>;
}

/** RFC 8292 §2: "alg" ES256; "typ" JWT as web-push and every browser vendor's examples send it. */
const headerSegment = encodeBase64Url(textEncoder.encode('{"typ":"JWT","alg":"ES256"}'));
// A VAPID JWT is a few hundred characters; the cap bounds the parsing work on hostile input.
const maxTokenLength = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Signs the claims: `header.payload.signature`. */
export async function signJwt(claims: VapidClaims, key: SigningKey, backend: CryptoBackend): Promise<string> {
  const payload = encodeBase64Url(
    textEncoder.encode(JSON.stringify({ aud: claims.aud, exp: claims.exp, sub: claims.sub })),
  );
  const signingInput = `${headerSegment}.${payload}`;
  const signature = await backend.sign(key, textEncoder.encode(signingInput));
  return `${signingInput}.${encodeBase64Url(signature)}`;
}

function malformed(detail: string, cause?: unknown): never {
  throw new WebPushError(
    'ERR_VAPID_MALFORMED',
    `VAPID JWT ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

function jsonObject(segment: string, what: string): Record<string, unknown> {
  const bytes = decodeCanonicalBase64Url(segment, `VAPID JWT ${what}`, 'ERR_VAPID_MALFORMED');
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    malformed(`${what} is not UTF-8 JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    malformed(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Splits and decodes a compact JWS, checking the JOSE header: `alg` must be ES256 (RFC 8292 §2),
 * `typ`, when present, JWT, and no `crit` extensions we would have to understand (RFC 7515
 * §4.1.11). Throws `ERR_VAPID_MALFORMED`.
 */
export function parseJwt(token: string): ParsedJwt {
  if (typeof token !== 'string') malformed(`must be a string, got ${typeof token}`);
  if (token.length > maxTokenLength) malformed(`is ${token.length} characters long, over ${maxTokenLength}`);
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (
    first <= 0 ||
    second <= first + 1 ||
    second === token.length - 1 ||
    token.indexOf('.', second + 1) !== -1
  ) {
    malformed('must be three non-empty base64url parts separated by "."');
  }
  const header = jsonObject(token.slice(0, first), 'header');
  if (header.alg !== 'ES256') {
    malformed(`header "alg" must be "ES256", got ${JSON.stringify(header.alg) ?? 'nothing'}`);
  }
  if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
    malformed(`header "typ" must be "JWT", got ${JSON.stringify(header.typ)}`);
  }
  if (header.crit !== undefined) malformed('header has "crit" extensions, which VAPID does not use');
  const claims = jsonObject(token.slice(first + 1, second), 'payload');
  const signature = decodeCanonicalBase64Url(
    token.slice(second + 1),
    'VAPID JWT signature',
    'ERR_VAPID_MALFORMED',
  );
  if (signature.length !== 64)
    malformed(`signature must be 64 bytes (ES256 r || s), got ${signature.length}`);
  return { signingInput: textEncoder.encode(token.slice(0, second)), signature, claims };
}
