/**
 * Every error that `@herald/server` throws or answers is a {@link ServerError} with a stable
 * `code`. The HTTP layer maps each code to a status through {@link httpStatusByCode}, a table the
 * compiler checks for completeness (`satisfies Record<ServerErrorCode, number>`), and answers
 * `{ "error": { "code", "message" } }`. `docs/errors.md` lists every code; a test fails when the
 * two drift.
 */

/** The stable error codes of `@herald/server`, with what each means. */
export const errorCodes = {
  ERR_INVALID_REQUEST: 'the request body, query or path is invalid; the message names the field and reason',
  ERR_INVALID_SUBSCRIPTION: 'a push subscription is malformed (endpoint, p256dh or auth)',
  ERR_ENDPOINT_NOT_ALLOWED: 'a subscription endpoint is not on a known push service or an allowed host',
  ERR_UNKNOWN_VAPID_KEY: 'a VAPID public key is not one this server holds',
  ERR_PAYLOAD_TOO_LARGE: 'a notification would not fit in one push message; the message states its size',
  ERR_UNAUTHORIZED: 'a missing, malformed, revoked or wrong API key or link token',
  ERR_FORBIDDEN: 'the caller did not prove it holds the subscription (wrong auth secret)',
  ERR_NOT_FOUND: 'no such route or resource',
  ERR_CONFLICT:
    'the request conflicts with the current state (finished message, or started with unlessStarted; reused idempotency key)',
  ERR_BODY_TOO_LARGE: 'the request body exceeds the size limit of its route',
  ERR_UNSUPPORTED_MEDIA_TYPE: 'the request body has a content type the route does not accept',
  ERR_RATE_LIMITED: 'too many requests from one client address; retry after Retry-After seconds',
  ERR_INVALID_CONFIG: 'a configuration value (environment variable or flag) is invalid',
  ERR_VAPID_SUBJECT_REQUIRED: 'sending to Apple needs a valid HERALD_VAPID_SUBJECT (mailto: or https: URL)',
  ERR_STORAGE: 'the database failed or holds data this version cannot read',
  ERR_INTERNAL: 'an unexpected server error',
} as const;

/** A stable error code, see {@link errorCodes}. */
export type ServerErrorCode = keyof typeof errorCodes;

/**
 * The HTTP status answered for each code. Adding a code without a status fails the build.
 *
 * @example
 * ```ts
 * httpStatusByCode.ERR_RATE_LIMITED; // 429
 * ```
 */
export const httpStatusByCode = {
  ERR_INVALID_REQUEST: 400,
  ERR_INVALID_SUBSCRIPTION: 400,
  ERR_ENDPOINT_NOT_ALLOWED: 400,
  ERR_UNKNOWN_VAPID_KEY: 400,
  ERR_PAYLOAD_TOO_LARGE: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_RATE_LIMITED: 429,
  ERR_INVALID_CONFIG: 500,
  ERR_VAPID_SUBJECT_REQUIRED: 500,
  ERR_STORAGE: 500,
  ERR_INTERNAL: 500,
} as const satisfies Record<ServerErrorCode, number>;

/**
 * The one error class of `@herald/server`.
 *
 * @example
 * ```ts
 * throw new ServerError('ERR_NOT_FOUND', 'no subscription with id "sub_x"');
 * ```
 */
export class ServerError extends Error {
  /** The stable code to branch on. */
  readonly code: ServerErrorCode;
  /** Extra headers the HTTP layer adds to the error answer (e.g. `retry-after`). */
  readonly headers: Record<string, string>;

  constructor(
    code: ServerErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServerError';
    this.code = code;
    this.headers = options?.headers ?? {};
  }

  /** The HTTP status for this error's code. */
  get status(): number {
    return httpStatusByCode[this.code];
  }
}
