/**
 * Every error that `@herald/webpush` throws is a {@link WebPushError} with a stable `code`.
 * Callers branch on `code`, never on `message`: messages say what was expected and what was
 * received, and may be reworded. `docs/errors.md` lists every code; a test fails when the two drift.
 */

/**
 * The stable error codes of `@herald/webpush`, with what each means.
 *
 * @example
 * ```ts
 * errorCodes.ERR_PAYLOAD_TOO_LARGE; // 'a payload would encrypt to a body larger than …'
 * ```
 */
export const errorCodes = {
  ERR_INVALID_BASE64URL: 'a string is not valid base64url',
  ERR_INVALID_KEY: 'a key has the wrong length, encoding or is not a point on P-256',
  ERR_INVALID_ARGUMENT: 'an argument has the wrong type or is out of range',
  ERR_DECRYPT_FAILED: 'a message could not be decrypted (wrong key, corrupted data or bad padding)',
  ERR_PAYLOAD_TOO_LARGE: 'a payload would encrypt to a body larger than push services accept (4096 bytes)',
  ERR_INVALID_ENCRYPTION_HEADERS:
    'the Encryption or Crypto-Key header of an aesgcm message is missing or malformed',
  ERR_KEY_PAIR_MISMATCH: 'a private key does not belong to the public key it was given with',
  ERR_VAPID_SUBJECT:
    'a VAPID `sub` is missing or is not a `mailto:` address with a real domain or an `https:` URL',
  ERR_VAPID_EXPIRATION: 'a VAPID JWT lifetime or `exp` is missing, not a number, or more than 24 hours ahead',
  ERR_VAPID_EXPIRED: 'a VAPID JWT has expired: its `exp` is in the past',
  ERR_VAPID_AUDIENCE:
    'a VAPID `aud` is missing or not the push service origin, or an endpoint is not an http(s) URL',
  ERR_VAPID_MISSING: 'a request carries no VAPID `Authorization` header (`vapid` or `WebPush` scheme)',
  ERR_VAPID_MALFORMED: 'a VAPID header or JWT cannot be parsed, or its JOSE header is not `ES256` `JWT`',
  ERR_VAPID_BAD_SIGNATURE: 'a VAPID JWT signature does not verify with its public key',
  ERR_VAPID_KEY_MISMATCH: 'a VAPID public key is not the one the subscription was created with',
  ERR_INVALID_SUBSCRIPTION: 'a push subscription is malformed: its endpoint, p256dh key or auth secret',
  ERR_TIMEOUT: 'a request to a push service did not complete within its time limit',
  ERR_NETWORK: 'a request to a push service failed before a complete answer arrived (refused, reset, DNS)',
  ERR_TRANSPORT_CLOSED: 'a request was given to a transport that has been closed',
  ERR_BACKEND_CLOSED: 'a key agreement was asked of a parallel crypto backend that has been closed',
} as const;

/**
 * A stable error code, see {@link errorCodes}.
 *
 * @example
 * ```ts
 * const retryable = (code: WebPushErrorCode) => code === 'ERR_TIMEOUT' || code === 'ERR_NETWORK';
 * ```
 */
export type WebPushErrorCode = keyof typeof errorCodes;

/**
 * The one error class of `@herald/webpush`.
 *
 * @example
 * ```ts
 * try {
 *   decodeBase64Url('not base64!');
 * } catch (error) {
 *   if (error instanceof WebPushError && error.code === 'ERR_INVALID_BASE64URL') {
 *     console.log(error.message);
 *   }
 * }
 * ```
 */
export class WebPushError extends Error {
  /** The stable code to branch on. */
  readonly code: WebPushErrorCode;

  constructor(code: WebPushErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebPushError';
    this.code = code;
  }
}
