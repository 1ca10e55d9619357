/**
 * Every error `@herald/client` throws is a {@link HeraldClientError} with a stable `code`.
 * `docs/errors.md` lists every code; a test fails when the two drift.
 */

/** The stable error codes of `@herald/client`, with what each means. */
export const errorCodes = {
  ERR_NOT_SUPPORTED: 'this browser (or an insecure page) has no service workers, Push API or notifications',
  ERR_PERMISSION_DENIED: 'the user blocked notifications, or dismissed the permission prompt',
  ERR_USER_GESTURE_REQUIRED:
    'the permission prompt may only be shown from a user gesture (a click or a key press)',
  ERR_PUSH_SERVICE_UNREACHABLE: "the browser's push service failed or did not answer in time",
  ERR_SERVER_UNREACHABLE: 'the Herald server could not be reached',
  ERR_SERVER_REFUSED: 'the Herald server answered with an error status',
  ERR_NOT_SUBSCRIBED: 'the operation needs a subscription registered with the Herald server',
} as const;

/** A stable error code, see {@link errorCodes}. */
export type HeraldClientErrorCode = keyof typeof errorCodes;

/**
 * The one error class of `@herald/client`.
 *
 * @example
 * ```ts
 * try {
 *   await herald.subscribe();
 * } catch (error) {
 *   if (error instanceof HeraldClientError && error.code === 'ERR_PERMISSION_DENIED') showHowToUnblock();
 * }
 * ```
 */
export class HeraldClientError extends Error {
  /** The stable code to branch on. */
  readonly code: HeraldClientErrorCode;
  /** For `ERR_SERVER_REFUSED`: the HTTP status and the server's own error code. */
  readonly status?: number;
  readonly serverCode?: string;

  constructor(
    code: HeraldClientErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; serverCode?: string },
  ) {
    super(message, options);
    this.name = 'HeraldClientError';
    this.code = code;
    if (options?.status) this.status = options.status;
    if (options?.serverCode) this.serverCode = options.serverCode;
  }
}
