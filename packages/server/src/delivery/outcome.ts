import type { DeliveryOutcome } from '../storage/storage.js';
import type { PushResponse } from './sender.js';

/** Retry policy: bounded attempts with exponential backoff and jitter. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Five attempts, 1 s doubling up to 10 min, full jitter.
 *
 * @example
 * ```ts
 * new DeliveryWorker({ ...options, retryPolicy: { ...defaultRetryPolicy, maxAttempts: 8 } });
 * ```
 */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 600_000 };

/** What happened to one push attempt, before it is stored. */
export interface Attempt {
  subscriptionId: string;
  revision: number;
  /** Attempts made so far, this one included. */
  attempts: number;
  response?: PushResponse;
  /** Set when no answer came (network error, timeout) or the push could not be built. */
  error?: { message: string; permanent: boolean; configError?: boolean };
  /** When the message's TTL runs out (ms); no retry is scheduled past it. */
  expiresAt: number;
}

/**
 * Turns an attempt into the outcome the worker records, following the field notes: 2xx sent;
 * 404/410 gone (pruned); 413 failed for good; 429, 503 and WNS 406 throttled, retried honouring
 * Retry-After; other 5xx and network errors retried with backoff; 400/401/403 failed as a
 * configuration problem without deleting the subscription.
 *
 * @example
 * ```ts
 * classify({ subscriptionId, revision, attempts: 1, response: { status: 410, retryAfterMs: undefined, body: '' }, expiresAt }, Date.now());
 * // { subscriptionId, result: 'gone', revision }
 * ```
 */
export function classify(
  attempt: Attempt,
  now: number,
  policy: RetryPolicy = defaultRetryPolicy,
  random: () => number = Math.random,
): DeliveryOutcome {
  const { subscriptionId, attempts } = attempt;
  const failed = (status: number | null, error: string, configError = false): DeliveryOutcome => ({
    subscriptionId,
    result: 'failed',
    attempts,
    status,
    error,
    ...(configError ? { configError } : {}),
  });
  const retry = (status: number | null, error: string, hintMs: number | undefined): DeliveryOutcome => {
    if (attempts >= policy.maxAttempts)
      return failed(status, `${error} (gave up after ${attempts} attempts)`);
    // Full jitter on an exponential ceiling spreads a burst of retries instead of synchronising them.
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
    const delay = Math.max(hintMs ?? 0, ceiling / 2 + (random() * ceiling) / 2);
    const nextAttemptAt = now + delay;
    if (nextAttemptAt >= attempt.expiresAt) return failed(status, `${error} (TTL ran out before a retry)`);
    return {
      subscriptionId,
      result: 'retry',
      attempts,
      nextAttemptAt: Math.ceil(nextAttemptAt),
      status,
      error,
    };
  };

  if (attempt.error) {
    if (attempt.error.permanent)
      return failed(null, attempt.error.message, attempt.error.configError ?? false);
    return retry(null, attempt.error.message, undefined);
  }
  const response = attempt.response!;
  const { status } = response;
  const detail = `push service answered ${status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`;
  if (status >= 200 && status < 300) return { subscriptionId, result: 'sent' };
  if (status === 404 || status === 410) return { subscriptionId, result: 'gone', revision: attempt.revision };
  if (status === 413) return failed(status, detail);
  if (status === 429 || status === 503 || status === 406) {
    return retry(status, detail, response.retryAfterMs);
  }
  if (status >= 500) return retry(status, detail, response.retryAfterMs);
  return failed(status, detail, status === 400 || status === 401 || status === 403);
}
