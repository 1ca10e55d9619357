/**
 * Options of the per-subscription rate limit.
 *
 * @example
 * ```ts
 * await PushService.start({ rateLimit: { limit: 100, windowSeconds: 60 } });
 * ```
 */
export interface RateLimitOptions {
  /** Pushes accepted per subscription in each window. */
  limit: number;
  /** The window, in seconds. */
  windowSeconds: number;
}

/**
 * A fixed-window counter per subscription: past `limit` pushes in a window, pushes get 429 with
 * `Retry-After` = the seconds left in the window. One small entry per subscription that pushed
 * in the current window; older entries are swept when a window turns over.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #counts = new Map<string, number>();

  constructor(options: RateLimitOptions) {
    this.#limit = options.limit;
    this.#windowMs = options.windowSeconds * 1000;
  }

  /** Counts a push; returns 0 when allowed, else the seconds to wait (at least 1). */
  take(key: string, now: number): number {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now - ((now - this.#windowStart) % this.#windowMs);
      this.#counts = new Map();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    if (count <= this.#limit) return 0;
    return Math.max(1, Math.ceil((this.#windowStart + this.#windowMs - now) / 1000));
  }
}
