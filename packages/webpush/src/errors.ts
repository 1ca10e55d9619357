/**
 * Every error that `@herald/webpush` throws is a {@link WebPushError} with a stable `code`.
 * Callers branch on `code`, never on `message`: messages say what was expected and what was
 * received, and may be reworded. `docs/errors.md` lists every code; a test fails when the two drift.
 */

/** The stable error codes of `@herald/webpush`, with what each means. */
export const errorCodes = {
  ERR_INVALID_BASE64URL: 'a string is not valid base64url',
  ERR_INVALID_KEY: 'a key has the wrong length, encoding or is not a point on P-256',
  ERR_INVALID_ARGUMENT: 'an argument has the wrong type or is out of range',
  ERR_DECRYPT_FAILED: 'a message could not be decrypted (wrong key, corrupted data or bad padding)',
  ERR_PAYLOAD_TOO_LARGE: 'a payload would encrypt to a body larger than push services accept (4096 bytes)',
  ERR_INVALID_ENCRYPTION_HEADERS:
    'the Encryption or Crypto-Key header of an aesgcm message is missing or malformed',
} as const;

/** A stable error code, see {@link errorCodes}. */
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
