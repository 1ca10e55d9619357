import { decodeBase64Url, encodeBase64Url } from '../base64url.js';
import type { CryptoBackend, RawKeyPair } from '../crypto/backend.js';
import { defaultBackend } from '../crypto/default-backend.js';
import { assertPrivateScalar, assertUncompressedPoint } from '../crypto/key-checks.js';
import { WebPushError } from '../errors.js';
import { bytesEqual } from './der.js';
import {
  decodeJwk,
  encodePrivateJwk,
  encodePublicJwk,
  type VapidPrivateJwk,
  type VapidPublicJwk,
} from './jwk.js';
import { decodePkcs8, decodeSec1, decodeSpki, encodePkcs8, encodeSec1, encodeSpki } from './p256-der.js';
import { encodePem, parsePem } from './pem.js';

/**
 * A VAPID key pair (RFC 8292 §3.2) as base64url strings: `publicKey` is the 65-byte uncompressed
 * P-256 point, `privateKey` the 32-byte scalar. The same format as web-push's `generateVAPIDKeys`.
 *
 * @example
 * ```ts
 * const keys: VapidKeys = await generateVapidKeys();
 * console.log(keys.publicKey); // 'BN...' (87 characters), given to pushManager.subscribe()
 * ```
 */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The PEM layouts a private key can be written in: PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`.
 *
 * @example
 * ```ts
 * const format: VapidPemFormat = 'sec1';
 * const pem = vapidKeysToPem(keys, format); // '-----BEGIN EC PRIVATE KEY-----\n...'
 * ```
 */
export type VapidPemFormat = 'pkcs8' | 'sec1';

// DER of the namedCurve OID 1.2.840.10045.3.1.7, the body `openssl ecparam` writes in an
// `EC PARAMETERS` block ahead of the key.
const p256ParametersDer = new Uint8Array([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);

/**
 * Generates a new VAPID key pair.
 *
 * @example
 * ```ts
 * const { publicKey, privateKey } = await generateVapidKeys();
 * ```
 */
export async function generateVapidKeys(backend: CryptoBackend = defaultBackend): Promise<VapidKeys> {
  const pair = await backend.generateKeyPair();
  return { publicKey: encodeBase64Url(pair.publicKey), privateKey: encodeBase64Url(pair.privateKey) };
}

function rawKey(text: unknown, what: string, length: number): Uint8Array {
  if (typeof text !== 'string') {
    throw new WebPushError('ERR_INVALID_KEY', `${what} must be a base64url string, got ${typeof text}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(text, what);
  } catch (cause) {
    throw new WebPushError('ERR_INVALID_KEY', `${what} is not base64url`, { cause });
  }
  if (bytes.length !== length) {
    throw new WebPushError(
      'ERR_INVALID_KEY',
      `${what} must be ${length} bytes (${Math.ceil((length * 4) / 3)} base64url characters), got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

/**
 * Checks a private scalar against a public point: derives the point the scalar belongs to and
 * compares. Returns the verified pair; `publicKey` may be left out (PEM keys without it).
 */
async function checkPair(
  privateKey: Uint8Array,
  publicKey: Uint8Array | undefined,
  backend: CryptoBackend,
): Promise<RawKeyPair> {
  assertPrivateScalar(privateKey);
  const derived = await backend.derivePublicKey(privateKey);
  if (publicKey !== undefined && !bytesEqual(derived, publicKey)) {
    throw new WebPushError(
      'ERR_KEY_PAIR_MISMATCH',
      `the VAPID private key belongs to the public key ${encodeBase64Url(derived)}, ` +
        `not to the given ${encodeBase64Url(publicKey)}; were keys from two pairs mixed up?`,
    );
  }
  return { publicKey: derived, privateKey };
}

/**
 * Decodes and checks a base64url key pair: lengths, a valid scalar, and that the private key
 * belongs to the public key. Internal: the signer uses it.
 */
export async function decodeVapidKeys(keys: VapidKeys, backend: CryptoBackend): Promise<RawKeyPair> {
  if (typeof keys !== 'object' || keys === null) {
    throw new WebPushError('ERR_INVALID_KEY', `VAPID keys must be an object, got ${typeof keys}`);
  }
  const publicKey = rawKey(keys.publicKey, 'VAPID public key', 65);
  assertUncompressedPoint(publicKey, 'VAPID public key');
  return checkPair(rawKey(keys.privateKey, 'VAPID private key', 32), publicKey, backend);
}

function fromPem(text: string): { privateKey: Uint8Array; publicKey: Uint8Array | undefined } {
  let decoded: { privateKey: Uint8Array; publicKey: Uint8Array | undefined } | undefined;
  let separatePublic: Uint8Array | undefined;
  for (const block of parsePem(text)) {
    if (block.label === 'EC PARAMETERS') {
      if (!bytesEqual(block.der, p256ParametersDer)) {
        throw new WebPushError('ERR_INVALID_KEY', 'PEM "EC PARAMETERS" block names a curve other than P-256');
      }
      continue;
    }
    if (block.label === 'PUBLIC KEY' && separatePublic === undefined) {
      separatePublic = decodeSpki(block.der);
      continue;
    }
    if (decoded !== undefined) {
      throw new WebPushError('ERR_INVALID_KEY', 'PEM text holds more than one private key');
    }
    if (block.label === 'PRIVATE KEY') decoded = decodePkcs8(block.der);
    else if (block.label === 'EC PRIVATE KEY') decoded = decodeSec1(block.der);
    else {
      throw new WebPushError(
        'ERR_INVALID_KEY',
        `PEM block "${block.label}" is not a P-256 private key; expected "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC1)`,
      );
    }
  }
  if (decoded === undefined) {
    throw new WebPushError(
      'ERR_INVALID_KEY',
      'PEM text holds no private key; expected a "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC1) block',
    );
  }
  if (separatePublic !== undefined) {
    if (decoded.publicKey !== undefined && !bytesEqual(decoded.publicKey, separatePublic)) {
      throw new WebPushError(
        'ERR_KEY_PAIR_MISMATCH',
        'the PEM "PUBLIC KEY" block is not the private key\'s own',
      );
    }
    decoded.publicKey = separatePublic;
  }
  return decoded;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new WebPushError('ERR_INVALID_KEY', `${what} starts with "{" but is not JSON`, { cause });
  }
}

/**
 * Imports a VAPID key pair from any of the usual forms and checks it: a base64url pair (as
 * web-push uses), a private JWK (object or JSON text), or PEM text (PKCS#8 `PRIVATE KEY` or SEC1
 * `EC PRIVATE KEY`, optionally after an `EC PARAMETERS` block). Verifies that the private key
 * belongs to the public key (`ERR_KEY_PAIR_MISMATCH` otherwise) and returns the pair as base64url.
 * Malformed input throws `ERR_INVALID_KEY`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const keys = await importVapidKeys(readFileSync('vapid.pem', 'utf8'));
 * const same = await importVapidKeys({ publicKey: keys.publicKey, privateKey: keys.privateKey });
 * ```
 */
export async function importVapidKeys(
  source: VapidKeys | VapidPrivateJwk | string,
  backend: CryptoBackend = defaultBackend,
): Promise<VapidKeys> {
  let pair: RawKeyPair;
  if (typeof source === 'string') {
    const text = source.trim();
    if (text.startsWith('{')) {
      const jwk = decodeJwk(parseJson(text, 'VAPID key text'), true);
      pair = await checkPair(jwk.privateKey!, jwk.publicKey, backend);
    } else {
      const decoded = fromPem(text);
      pair = await checkPair(decoded.privateKey, decoded.publicKey, backend);
    }
  } else if (typeof source === 'object' && source !== null && 'kty' in source) {
    const jwk = decodeJwk(source, true);
    pair = await checkPair(jwk.privateKey!, jwk.publicKey, backend);
  } else {
    pair = await decodeVapidKeys(source as VapidKeys, backend);
  }
  return { publicKey: encodeBase64Url(pair.publicKey), privateKey: encodeBase64Url(pair.privateKey) };
}

/**
 * Imports a VAPID public key (the one a browser subscribed with) from base64url (padded or not),
 * a public JWK (object or JSON text) or an SPKI `PUBLIC KEY` PEM, checks that it is a point on
 * P-256, and returns it as unpadded base64url. Malformed input throws `ERR_INVALID_KEY`.
 *
 * @example
 * ```ts
 * const publicKey = await importVapidPublicKey('-----BEGIN PUBLIC KEY-----\nMFkw...\n-----END PUBLIC KEY-----\n');
 * ```
 */
export async function importVapidPublicKey(
  source: string | VapidPublicJwk,
  backend: CryptoBackend = defaultBackend,
): Promise<string> {
  let publicKey: Uint8Array;
  if (typeof source === 'string') {
    const text = source.trim();
    if (text.startsWith('-----')) {
      const blocks = parsePem(text);
      if (blocks.length !== 1 || blocks[0]!.label !== 'PUBLIC KEY') {
        throw new WebPushError('ERR_INVALID_KEY', 'PEM text must hold exactly one "PUBLIC KEY" (SPKI) block');
      }
      publicKey = decodeSpki(blocks[0]!.der);
    } else if (text.startsWith('{')) {
      publicKey = decodeJwk(parseJson(text, 'VAPID public key text'), false).publicKey;
    } else {
      publicKey = rawKey(text, 'VAPID public key', 65);
    }
  } else {
    publicKey = decodeJwk(source, false).publicKey;
  }
  assertUncompressedPoint(publicKey, 'VAPID public key');
  if (!(await backend.isValidPublicKey(publicKey))) {
    throw new WebPushError('ERR_INVALID_KEY', 'VAPID public key is not a point on the P-256 curve');
  }
  return encodeBase64Url(publicKey);
}

function syncPair(keys: VapidKeys): RawKeyPair {
  if (typeof keys !== 'object' || keys === null) {
    throw new WebPushError('ERR_INVALID_KEY', `VAPID keys must be an object, got ${typeof keys}`);
  }
  const publicKey = rawKey(keys.publicKey, 'VAPID public key', 65);
  assertUncompressedPoint(publicKey, 'VAPID public key');
  return { publicKey, privateKey: rawKey(keys.privateKey, 'VAPID private key', 32) };
}

/**
 * Exports a key pair as a private JWK `{ kty: 'EC', crv: 'P-256', x, y, d }`, the form `jose`
 * and WebCrypto import. Checks lengths only; run {@link importVapidKeys} to check the pair.
 *
 * @example
 * ```ts
 * const jwk = vapidKeysToJwk(await generateVapidKeys());
 * const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
 * ```
 */
export function vapidKeysToJwk(keys: VapidKeys): VapidPrivateJwk {
  const pair = syncPair(keys);
  return encodePrivateJwk(pair.publicKey, pair.privateKey);
}

/**
 * Exports a key pair as PEM: PKCS#8 `PRIVATE KEY` (default) or SEC1 `EC PRIVATE KEY`, byte for
 * byte as `node:crypto` and OpenSSL write them. Checks lengths only.
 *
 * @example
 * ```ts
 * const pem = vapidKeysToPem(keys);          // '-----BEGIN PRIVATE KEY-----\n...'
 * const sec1 = vapidKeysToPem(keys, 'sec1'); // '-----BEGIN EC PRIVATE KEY-----\n...'
 * ```
 */
export function vapidKeysToPem(keys: VapidKeys, format: VapidPemFormat = 'pkcs8'): string {
  const pair = syncPair(keys);
  if (format === 'pkcs8') return encodePem('PRIVATE KEY', encodePkcs8(pair.privateKey, pair.publicKey));
  if (format === 'sec1') return encodePem('EC PRIVATE KEY', encodeSec1(pair.privateKey, pair.publicKey));
  throw new WebPushError(
    'ERR_INVALID_ARGUMENT',
    `PEM format must be "pkcs8" or "sec1", got ${String(format)}`,
  );
}

/**
 * Exports a public key as a JWK `{ kty: 'EC', crv: 'P-256', x, y }`.
 *
 * @example
 * ```ts
 * const jwk = vapidPublicKeyToJwk(keys.publicKey);
 * ```
 */
export function vapidPublicKeyToJwk(publicKey: string): VapidPublicJwk {
  return encodePublicJwk(rawKey(publicKey, 'VAPID public key', 65));
}

/**
 * Exports a public key as an SPKI `PUBLIC KEY` PEM.
 *
 * @example
 * ```ts
 * const pem = vapidPublicKeyToPem(keys.publicKey); // '-----BEGIN PUBLIC KEY-----\n...'
 * ```
 */
export function vapidPublicKeyToPem(publicKey: string): string {
  return encodePem('PUBLIC KEY', encodeSpki(rawKey(publicKey, 'VAPID public key', 65)));
}
