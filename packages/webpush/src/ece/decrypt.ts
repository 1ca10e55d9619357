/** Decryption of push messages, as a user agent does it (RFC 8291 §3, and legacy `aesgcm`). */
import type { CryptoBackend, EcdhPrivateKey, RawKeyPair } from '../crypto/backend.js';
import { defaultBackend } from '../crypto/default-backend.js';
import { WebPushError } from '../errors.js';
import { decodeHeader, deriveRecordKeys, openRecords } from './aes128gcm.js';
import { defaultAesgcmRecordSize, deriveAesgcmKeys, openAesgcmRecords } from './aesgcm.js';
import { webPushIkm } from './rfc8291.js';

/**
 * The receiving user agent's keys.
 *
 * @example
 * ```ts
 * const keyPair = await defaultBackend.generateKeyPair();
 * const keys: DecryptKeys = { keyPair, auth: defaultBackend.randomBytes(16) };
 * ```
 */
export interface DecryptKeys {
  /** The user agent's P-256 key pair (its public key is the subscription's `p256dh`). */
  keyPair: RawKeyPair;
  /** The 16-byte authentication secret (the subscription's `auth`). */
  auth: Uint8Array;
  /** `keyPair` already imported with `backend.importEcdhPrivateKey`, to skip importing per message. */
  privateKey?: EcdhPrivateKey;
}

/**
 * How the message was encoded: for `aesgcm`, what its `Encryption` and `Crypto-Key` headers said.
 *
 * @example
 * ```ts
 * const params: DecryptParams = { contentEncoding: 'aesgcm', ...parseAesgcmHeaders(encryption, cryptoKey) };
 * ```
 */
export type DecryptParams =
  | { contentEncoding: 'aes128gcm' }
  | { contentEncoding: 'aesgcm'; salt: Uint8Array; senderPublicKey: Uint8Array; recordSize?: number };

/**
 * Decrypts a push message body. Throws `ERR_DECRYPT_FAILED` for anything that does not decrypt
 * to a well-formed message: wrong keys, tampering, truncation, bad padding or delimiters.
 *
 * @example
 * ```ts
 * const plaintext = await decrypt(body, { keyPair, auth }, { contentEncoding: 'aes128gcm' });
 * new TextDecoder().decode(plaintext);
 * ```
 */
export async function decrypt(
  body: Uint8Array,
  keys: DecryptKeys,
  params: DecryptParams,
  backend: CryptoBackend = defaultBackend,
): Promise<Uint8Array> {
  if (!(body instanceof Uint8Array)) {
    throw new WebPushError('ERR_INVALID_ARGUMENT', `body must be a Uint8Array, got ${typeof body}`);
  }
  const privateKey = keys.privateKey ?? (await backend.importEcdhPrivateKey(keys.keyPair));
  const uaPublicKey = keys.keyPair.publicKey;
  if (params.contentEncoding === 'aes128gcm') {
    const header = decodeHeader(body);
    // RFC 8291 §4: the key id is the application server's 65-octet public key.
    if (header.keyId.length !== 65) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        `aes128gcm key id must be the sender's 65-byte public key, got ${header.keyId.length} bytes`,
      );
    }
    const secret = await agreeOrFail(backend, privateKey, header.keyId);
    const ikm = await webPushIkm(backend, secret, keys.auth, uaPublicKey, header.keyId);
    const recordKeys = await deriveRecordKeys(backend, ikm, header.salt);
    return openRecords(backend, recordKeys, header.recordSize, body.subarray(header.length));
  }
  if (params.contentEncoding === 'aesgcm') {
    const secret = await agreeOrFail(backend, privateKey, params.senderPublicKey);
    const recordKeys = await deriveAesgcmKeys(
      backend,
      secret,
      keys.auth,
      params.salt,
      uaPublicKey,
      params.senderPublicKey,
    );
    return openAesgcmRecords(backend, recordKeys, params.recordSize ?? defaultAesgcmRecordSize, body);
  }
  throw new WebPushError(
    'ERR_INVALID_ARGUMENT',
    `contentEncoding must be 'aes128gcm' or 'aesgcm', got ${JSON.stringify((params as { contentEncoding: unknown }).contentEncoding)}`,
  );
}

async function agreeOrFail(backend: CryptoBackend, privateKey: EcdhPrivateKey, senderPublicKey: Uint8Array) {
  try {
    return await backend.agree(privateKey, senderPublicKey);
  } catch (cause) {
    throw new WebPushError('ERR_DECRYPT_FAILED', "the sender's public key is not a valid P-256 point", {
      cause,
    });
  }
}
