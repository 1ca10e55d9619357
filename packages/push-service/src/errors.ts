/**
 * Every error that `@herald/push-service` throws is a {@link PushServiceError} with a stable
 * `code`. Callers branch on `code`, never on `message`. `docs/errors.md` lists every code; a test
 * fails when the two drift.
 *
 * These are errors of the library API (starting the service, the headless user agent, the
 * control API client side). What the service answers on the wire (HTTP status + autopush errno,
 * WebSocket status) is in `http-errors.ts` and `protocol.ts`.
 */

/**
 * The stable error codes of `@herald/push-service`, with what each means.
 *
 * @example
 * ```ts
 * Object.keys(errorCodes); // ['ERR_INVALID_OPTION', ...]
 * ```
 */
export const errorCodes = {
  ERR_INVALID_OPTION: 'an option passed to the service, the user agent or the CLI is missing or invalid',
  ERR_NOT_CONNECTED: 'the headless user agent is not connected (or lost its connection mid-request)',
  ERR_TIMEOUT: 'a wait (for a hello, a reply or a message) ran out of time',
  ERR_REGISTER_FAILED: 'the push service answered a register or unregister with a non-200 status',
  ERR_PROTOCOL: 'the peer sent something the WebSocket push protocol does not allow',
  ERR_STORAGE: 'the storage (SQLite data directory) could not be opened or migrated',
  ERR_UNKNOWN_CLIENT: 'a fault-injection or control call named a uaid or endpoint the service does not know',
} as const;

/**
 * A stable error code, see {@link errorCodes}.
 *
 * @example
 * ```ts
 * const code: PushServiceErrorCode = 'ERR_TIMEOUT';
 * ```
 */
export type PushServiceErrorCode = keyof typeof errorCodes;

/**
 * The one error class of `@herald/push-service`.
 *
 * @example
 * ```ts
 * try {
 *   await agent.waitForMessage({ timeoutMs: 100 });
 * } catch (error) {
 *   if (error instanceof PushServiceError && error.code === 'ERR_TIMEOUT') console.log('no message');
 * }
 * ```
 */
export class PushServiceError extends Error {
  /** The stable code to branch on. */
  readonly code: PushServiceErrorCode;

  constructor(code: PushServiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PushServiceError';
    this.code = code;
  }
}
