/** Message encryption for Web Push: RFC 8291 over `aes128gcm` (RFC 8188), or legacy `aesgcm`. */
import { encodeBase64Url } from '../base64url.js';
import { textEncoder } from '../bytes.js';
import type { CryptoBackend, EphemeralAgreement } from '../crypto/backend.js';
import { defaultBackend } from '../crypto/default-backend.js';
import { assertUncompressedPoint } from '../crypto/key-checks.js';
import { WebPushError } from '../errors.js';
import { deriveRecordKeys, fixedHeaderLength, type RecordKeys, sealRecords, tagLength } from './aes128gcm.js';
import { defaultAesgcmRecordSize, deriveAesgcmKeys, sealAesgcmRecord } from './aesgcm.js';
import { webPushIkm } from './rfc8291.js';

/**
 * The content codings a push message can be encrypted with.
 *
 * @example
 * ```ts
 * const encoding: ContentEncoding = 'aes128gcm';
 * ```
 */
export type ContentEncoding = 'aes128gcm' | 'aesgcm';

/**
 * A subscription's keys, decoded: what the browser gave as `keys.p256dh` and `keys.auth`.
 *
 * @example
 * ```ts
 * const keys: ReceiverKeys = { p256dh: decodeBase64Url(sub.keys.p256dh), auth: decodeBase64Url(sub.keys.auth) };
 * ```
 */
export interface ReceiverKeys {
  /** The user agent's 65-byte uncompressed P-256 public key. */
  p256dh: Uint8Array;
  /** The 16-byte authentication secret. */
  auth: Uint8Array;
}

/**
 * Options of {@link encrypt}.
 *
 * @example
 * ```ts
 * await encrypt(payload, keys, { contentEncoding: 'aesgcm', padding: 32 });
 * ```
 */
export interface EncryptOptions {
  /** `aes128gcm` (RFC 8291, the default) or the legacy `aesgcm`. */
  contentEncoding?: ContentEncoding;
  /** Zero octets to add after the payload, to hide its length. Default 0. */
  padding?: number;
  /** The record size written in the header (`rs`); default 4096. The message stays one record. */
  recordSize?: number;
  /** The largest body push services accept; default 4096 (RFC 8030 §7.2 minimum). */
  maxBodySize?: number;
  /** The crypto backend; default: the runtime's ({@link defaultBackend}). */
  backend?: CryptoBackend;
}

/**
 * An encrypted push message, ready to be sent.
 *
 * @example
 * ```ts
 * const { body, contentEncoding, headers } = await encrypt('hi', keys);
 * await fetch(endpoint, { method: 'POST', body, headers: { ...headers, 'content-encoding': contentEncoding, ttl: '60' } });
 * ```
 */
export interface EncryptedPayload {
  contentEncoding: ContentEncoding;
  /** The HTTP request body. */
  body: Uint8Array;
  /** The 16-byte salt of this message. */
  salt: Uint8Array;
  /** The ephemeral public key of this message (the `keyid` of aes128gcm, `dh` of aesgcm). */
  localPublicKey: Uint8Array;
  /** Headers the encoding needs besides `Content-Encoding`: for aesgcm `encryption` and `crypto-key`. */
  headers: Record<string, string>;
}

/**
 * Default of {@link EncryptOptions.maxBodySize}: the body size every push service must accept.
 *
 * @example
 * ```ts
 * maxPayloadLength({ maxBodySize: defaultMaxBodySize }); // 3993
 * ```
 */
export const defaultMaxBodySize = 4096;
/** RFC 8291 §4: salt, rs and idlen (21 octets) plus the 65-octet key id. */
const aes128gcmHeaderLength = fixedHeaderLength + 65;

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

function checkEncoding(encoding: unknown): ContentEncoding {
  if (encoding !== 'aes128gcm' && encoding !== 'aesgcm') {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `contentEncoding must be 'aes128gcm' or 'aesgcm', got ${JSON.stringify(encoding)}`,
    );
  }
  return encoding;
}

/**
 * The size of the body that a payload of `payloadLength` bytes encrypts to.
 *
 * @example
 * ```ts
 * encryptedSize(100); // 100 + 86 (header) + 1 (delimiter) + 16 (tag) = 203
 * ```
 */
export function encryptedSize(
  payloadLength: number,
  options: Pick<EncryptOptions, 'contentEncoding' | 'padding'> = {},
): number {
  const padding = options.padding ?? 0;
  return (options.contentEncoding ?? 'aes128gcm') === 'aes128gcm'
    ? aes128gcmHeaderLength + payloadLength + 1 + padding + tagLength
    : 2 + padding + payloadLength + tagLength;
}

/**
 * The largest payload, in bytes, that fits the body limit with these options: 3993 for
 * `aes128gcm` and 4078 for `aesgcm` without padding.
 *
 * @example
 * ```ts
 * maxPayloadLength(); // 3993
 * ```
 */
export function maxPayloadLength(
  options: Pick<EncryptOptions, 'contentEncoding' | 'padding' | 'maxBodySize'> = {},
): number {
  return (options.maxBodySize ?? defaultMaxBodySize) - encryptedSize(0, options);
}

function checkKeys(keys: ReceiverKeys): void {
  if (keys === null || typeof keys !== 'object') {
    throw new WebPushError('ERR_INVALID_KEY', `keys must be an object with p256dh and auth, got ${keys}`);
  }
  assertUncompressedPoint(keys.p256dh, 'p256dh');
  if (!(keys.auth instanceof Uint8Array) || keys.auth.length !== 16) {
    throw new WebPushError(
      'ERR_INVALID_KEY',
      `auth must be a 16-byte secret, got ${keys.auth instanceof Uint8Array ? `${keys.auth.length} bytes` : typeof keys.auth}`,
    );
  }
}

/** What {@link encryptWith} needs besides the payload; tests inject a fixed salt and key pair. */
export interface EncryptionInputs {
  salt: Uint8Array;
  agreement: EphemeralAgreement;
}

/**
 * Encrypts a push message for one subscriber with a new ephemeral key pair and salt
 * (RFC 8291 §3.1: never reused). Checks the size first, so an oversized payload costs no crypto.
 *
 * @example
 * ```ts
 * const keys = { p256dh: decodeBase64Url(sub.keys.p256dh), auth: decodeBase64Url(sub.keys.auth) };
 * const { body, contentEncoding, headers } = await encrypt('{"title":"Hi"}', keys);
 * ```
 */
export async function encrypt(
  payload: Uint8Array | string,
  keys: ReceiverKeys,
  options: EncryptOptions = {},
): Promise<EncryptedPayload> {
  const backend = options.backend ?? defaultBackend;
  const plaintext = checkRequest(payload, keys, options);
  const salt = backend.randomBytes(16);
  if ((options.contentEncoding ?? 'aes128gcm') === 'aes128gcm' && backend.aes128gcmKeys) {
    const { publicKey, key, nonce } = await backend.aes128gcmKeys(keys.p256dh, keys.auth, salt);
    return sealAes128gcm(backend, plaintext, options, salt, publicKey, { key, nonce });
  }
  const agreement = await backend.ephemeralAgreement(keys.p256dh);
  return encryptWith(plaintext, keys, options, { salt, agreement });
}

/** Validates the inputs of {@link encrypt} and returns the payload's bytes. */
function checkRequest(payload: Uint8Array | string, keys: ReceiverKeys, options: EncryptOptions): Uint8Array {
  const plaintext = typeof payload === 'string' ? textEncoder.encode(payload) : payload;
  if (!(plaintext instanceof Uint8Array)) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `payload must be a string or a Uint8Array, got ${typeof payload}`,
    );
  }
  checkKeys(keys);
  const encoding = checkEncoding(options.contentEncoding ?? 'aes128gcm');
  const padding = checkInteger(
    'padding',
    options.padding ?? 0,
    0,
    encoding === 'aesgcm' ? 0xffff : 0xffffffff,
  );
  const maxBodySize = checkInteger('maxBodySize', options.maxBodySize ?? defaultMaxBodySize, 1, 0xffffffff);
  const size = encryptedSize(plaintext.length, { contentEncoding: encoding, padding });
  if (size > maxBodySize) {
    throw new WebPushError(
      'ERR_PAYLOAD_TOO_LARGE',
      `a payload of ${plaintext.length} bytes${padding ? ` with ${padding} bytes of padding` : ''} encrypts to ${size} bytes ` +
        `with ${encoding}, over the ${maxBodySize}-byte limit of push services; at most ` +
        `${Math.max(0, maxBodySize - encryptedSize(0, { contentEncoding: encoding, padding }))} bytes fit`,
    );
  }
  return plaintext;
}

/**
 * {@link encrypt} with the salt and key agreement given. Internal: reusing either across
 * messages breaks RFC 8291's guarantees; tests use it to reproduce published vectors.
 */
export async function encryptWith(
  plaintext: Uint8Array,
  keys: ReceiverKeys,
  options: EncryptOptions,
  { salt, agreement }: EncryptionInputs,
): Promise<EncryptedPayload> {
  const backend = options.backend ?? defaultBackend;
  const padding = options.padding ?? 0;
  const asPublicKey = agreement.publicKey;
  if ((options.contentEncoding ?? 'aes128gcm') === 'aesgcm') {
    const recordSize = checkInteger(
      'recordSize',
      options.recordSize ?? defaultAesgcmRecordSize,
      3,
      0xffffffff,
    );
    if (2 + padding + plaintext.length >= recordSize) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `recordSize ${recordSize} is too small for one aesgcm record of ${2 + padding + plaintext.length} bytes`,
      );
    }
    const recordKeys = await deriveAesgcmKeys(
      backend,
      agreement.secret,
      keys.auth,
      salt,
      keys.p256dh,
      asPublicKey,
    );
    const body = await sealAesgcmRecord(backend, recordKeys, plaintext, padding);
    const rs = recordSize === defaultAesgcmRecordSize ? '' : `;rs=${recordSize}`;
    return {
      contentEncoding: 'aesgcm',
      body,
      salt,
      localPublicKey: asPublicKey,
      headers: {
        encryption: `salt=${encodeBase64Url(salt)}${rs}`,
        'crypto-key': `dh=${encodeBase64Url(asPublicKey)}`,
      },
    };
  }
  const ikm = await webPushIkm(backend, agreement.secret, keys.auth, keys.p256dh, asPublicKey);
  return sealAes128gcm(
    backend,
    plaintext,
    options,
    salt,
    asPublicKey,
    await deriveRecordKeys(backend, ikm, salt),
  );
}

/** RFC 8291 §4: the message as one aes128gcm record, with rs at least as large as that record. */
async function sealAes128gcm(
  backend: CryptoBackend,
  plaintext: Uint8Array,
  options: EncryptOptions,
  salt: Uint8Array,
  asPublicKey: Uint8Array,
  recordKeys: RecordKeys,
): Promise<EncryptedPayload> {
  const recordSize = checkInteger('recordSize', options.recordSize ?? 4096, 18, 0xffffffff);
  const body = await sealRecords(backend, recordKeys, { salt, recordSize, keyId: asPublicKey }, [
    { data: plaintext, padding: options.padding ?? 0 },
  ]);
  return { contentEncoding: 'aes128gcm', body, salt, localPublicKey: asPublicKey, headers: {} };
}
