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
export type { PushRequest } from './push-request.js';
export { buildPushRequest, maxTtl, type PushRequestOptions, type Urgency } from './request.js';
export {
  classifyFailure,
  classifyResponse,
  type DeliveredResult,
  type ErrorAnswer,
  type FailedResult,
  maxSnippetLength,
  type RejectedResult,
  type SendResult,
  type SendResultKind,
  type ThrottledResult,
} from './send/classify.js';
export { createTransport } from './send/create-transport.js';
export { createFetchTransport, type FetchTransportOptions } from './send/fetch-transport.js';
export { parseRetryAfter } from './send/retry-after.js';
export {
  defaultConcurrency,
  type InvalidResult,
  type SendManyItem,
  type SendManyOptions,
  type SendManyOutcome,
  sendMany,
} from './send/send-many.js';
export {
  type DeliveryOptions,
  defaultTimeout,
  type SendOptions,
  sendNotification,
  sendPushRequest,
} from './send/send-notification.js';
export type { Transport, TransportResponse, TransportSendOptions } from './send/transport.js';
export {
  defaultMaxEndpointLength,
  type KeylessSubscription,
  type PushSubscriptionJSON,
  type SubscriptionValidationOptions,
  type ValidSubscription,
  validateSubscription,
} from './subscription.js';
export { vapidAudience } from './vapid/audience.js';
export { type ParsedVapidAuthorization, parseVapidAuthorization } from './vapid/header.js';
export type { VapidPrivateJwk, VapidPublicJwk } from './vapid/jwk.js';
export {
  generateVapidKeys,
  importVapidKeys,
  importVapidPublicKey,
  type VapidKeys,
  type VapidPemFormat,
  vapidKeysToJwk,
  vapidKeysToPem,
  vapidPublicKeyToJwk,
  vapidPublicKeyToPem,
} from './vapid/keys.js';
export {
  defaultVapidExpiresIn,
  maxVapidExpiresIn,
  type VapidHeaders,
  VapidSigner,
  type VapidSignerOptions,
  type VapidToken,
} from './vapid/signer.js';
export { getVapidSigner, type VapidDetails, vapidHeaders } from './vapid/signer-cache.js';
export { validateVapidSubject } from './vapid/subject.js';
export {
  VapidVerifier,
  type VapidVerifierOptions,
  type VapidVerifyRequest,
  type VerifiedVapid,
} from './vapid/verifier.js';
