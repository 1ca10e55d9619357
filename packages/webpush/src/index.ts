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
export { errorCodes, WebPushError, type WebPushErrorCode } from './errors.js';
