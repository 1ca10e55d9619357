import { encodeBase64Url } from '../base64url.js';
import { assertPrivateScalar, assertUncompressedPoint } from '../crypto/key-checks.js';
import { WebPushError } from '../errors.js';
import { decodeCanonicalBase64Url } from './canonical-base64url.js';

/**
 * A P-256 public key as a JSON Web Key (RFC 7517, RFC 7518 §6.2.1).
 *
 * @example
 * ```ts
 * const jwk: VapidPublicJwk = vapidPublicKeyToJwk(keys.publicKey);
 * ```
 */
export interface VapidPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  /** base64url of the 32-byte X coordinate. */
  x: string;
  /** base64url of the 32-byte Y coordinate. */
  y: string;
}

/**
 * A P-256 key pair as a JSON Web Key, with the private scalar `d` (RFC 7518 §6.2.2.1).
 *
 * @example
 * ```ts
 * const jwk: VapidPrivateJwk = vapidKeysToJwk(keys); // { kty: 'EC', crv: 'P-256', x, y, d }
 * ```
 */
export interface VapidPrivateJwk extends VapidPublicJwk {
  /** base64url of the 32-byte private scalar. */
  d: string;
}

function invalid(detail: string): never {
  throw new WebPushError('ERR_INVALID_KEY', `JWK ${detail}`);
}

function coordinate(jwk: Record<string, unknown>, name: 'x' | 'y' | 'd'): Uint8Array {
  const value = jwk[name];
  if (typeof value !== 'string') invalid(`member "${name}" must be a base64url string, got ${typeof value}`);
  const bytes = decodeCanonicalBase64Url(value, `JWK member "${name}"`, 'ERR_INVALID_KEY');
  // RFC 7518 §6.2.1.2 and §6.2.2.1: full-length 32-byte values, leading zeros kept.
  if (bytes.length !== 32) invalid(`member "${name}" must encode 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** Reads the raw keys out of a JWK, checking its shape; the private scalar only if `withPrivate`. */
export function decodeJwk(
  jwk: unknown,
  withPrivate: boolean,
): { publicKey: Uint8Array; privateKey: Uint8Array | undefined } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    invalid(`must be an object, got ${jwk === null ? 'null' : Array.isArray(jwk) ? 'an array' : typeof jwk}`);
  }
  const record = jwk as Record<string, unknown>;
  if (record.kty !== 'EC') invalid(`"kty" must be "EC", got ${JSON.stringify(record.kty) ?? 'nothing'}`);
  if (record.crv !== 'P-256')
    invalid(`"crv" must be "P-256", got ${JSON.stringify(record.crv) ?? 'nothing'}`);
  if (record.alg !== undefined && record.alg !== 'ES256') {
    invalid(`"alg" must be "ES256" when present, got ${JSON.stringify(record.alg)}`);
  }
  const publicKey = new Uint8Array(65);
  publicKey[0] = 0x04;
  publicKey.set(coordinate(record, 'x'), 1);
  publicKey.set(coordinate(record, 'y'), 33);
  if (!withPrivate) return { publicKey, privateKey: undefined };
  if (record.d === undefined) invalid('has no private member "d"; a private key is needed here');
  return { publicKey, privateKey: coordinate(record, 'd') };
}

/** A public JWK from a 65-byte point. */
export function encodePublicJwk(publicKey: Uint8Array): VapidPublicJwk {
  assertUncompressedPoint(publicKey);
  return {
    kty: 'EC',
    crv: 'P-256',
    x: encodeBase64Url(publicKey.subarray(1, 33)),
    y: encodeBase64Url(publicKey.subarray(33, 65)),
  };
}

/** A private JWK from a raw key pair. */
export function encodePrivateJwk(publicKey: Uint8Array, privateKey: Uint8Array): VapidPrivateJwk {
  assertPrivateScalar(privateKey);
  return { ...encodePublicJwk(publicKey), d: encodeBase64Url(privateKey) };
}
