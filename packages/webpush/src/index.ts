/**
 * `@herald/webpush`: the Web Push protocol (RFC 8030, RFC 8291, RFC 8292) on every JavaScript
 * runtime.
 *
 * @packageDocumentation
 */
export { decodeBase64Url, encodeBase64Url } from './base64url.js';
export type {
  CryptoBackend,
  EcdhPrivateKey,
  EphemeralAgreement,
  RawKeyPair,
  SigningKey,
  VerifyingKey,
} from './crypto/backend.js';
export { defaultBackend } from './crypto/default-backend.js';
export { decodeAes128gcm } from './ece/aes128gcm.js';
export { type AesgcmHeaderParams, parseAesgcmHeaders } from './ece/aesgcm.js';
export { type DecryptKeys, type DecryptParams, decrypt } from './ece/decrypt.js';
export {
  type ContentEncoding,
  defaultMaxBodySize,
  type EncryptedPayload,
  type EncryptOptions,
  encrypt,
  encryptedSize,
  maxPayloadLength,
  type ReceiverKeys,
} from './ece/encrypt.js';
export { errorCodes, WebPushError, type WebPushErrorCode } from './errors.js';
