/**
 * Plain assertions for the portable self-test: no test runner exists inside workerd or a
 * browser page, so each check throws an `Error` whose message says what was expected and what
 * was received, and the runner reports it.
 */
import { encodeBase64Url, WebPushError, type WebPushErrorCode } from '@herald/webpush';

/** Throws unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Throws unless `actual` equals `expected`, naming both (shown as base64url) in the message. */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const same = actual.length === expected.length && actual.every((byte, i) => byte === expected[i]);
  if (!same) {
    throw new Error(
      `${what}: expected ${encodeBase64Url(expected)} (${expected.length} bytes), got ${encodeBase64Url(actual)} (${actual.length} bytes)`,
    );
  }
}

/** Throws unless `actual === expected`. */
export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/**
 * Throws unless `run` throws or rejects with a `WebPushError` carrying `code`. Checking
 * `instanceof` across the bundle proves the error class is the package's one, not a copy.
 */
export async function assertFailsWith(
  run: () => unknown,
  code: WebPushErrorCode,
  what: string,
): Promise<WebPushError> {
  let outcome: unknown;
  try {
    await run();
  } catch (error) {
    outcome = error;
  }
  if (!(outcome instanceof WebPushError)) {
    throw new Error(`${what}: expected a WebPushError ${code}, got ${describe(outcome)}`);
  }
  assertEqual(outcome.code, code, `${what}: error code`);
  assert(outcome instanceof Error && outcome.name === 'WebPushError', `${what}: error name`);
  return outcome;
}

function describe(value: unknown): string {
  if (value === undefined) return 'no error';
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return String(value);
}
