import { ServerError } from '../errors.js';

/**
 * A fixed one-minute window per client address, for the public API. The whole table is dropped
 * when the window turns over, so memory is bounded by the addresses seen in one minute. Written
 * here rather than with @fastify/rate-limit because that plugin's store, key generator and hooks
 * are more than this one rule needs, and this one is easy to test exactly.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter(60);
 * limiter.hit('203.0.113.7'); // throws ERR_RATE_LIMITED (429, Retry-After) past 60 per minute
 * ```
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #counts = new Map<string, number>();

  /** `limit` requests per `windowMs` per address; 0 turns limiting off. */
  constructor(limit: number, windowMs = 60_000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Counts a request from `address`; throws `ERR_RATE_LIMITED` when it is over the limit. */
  hit(address: string, now = Date.now()): void {
    if (this.#limit === 0) return;
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#counts = new Map();
    }
    const count = (this.#counts.get(address) ?? 0) + 1;
    this.#counts.set(address, count);
    if (count > this.#limit) {
      const retryAfter = Math.max(1, Math.ceil((this.#windowStart + this.#windowMs - now) / 1000));
      throw new ServerError(
        'ERR_RATE_LIMITED',
        `more than ${this.#limit} requests per minute from ${address}; retry in ${retryAfter} s`,
        { headers: { 'retry-after': String(retryAfter) } },
      );
    }
  }
}
