/** Options of {@link OriginGates}. */
export interface OriginGateOptions {
  /** Pushes in flight to one push-service origin at most (default 1024). */
  concurrency?: number;
  /** The least a throttled origin is slowed to (default 8). */
  minConcurrency?: number;
}

interface Gate {
  limit: number;
  active: number;
  /** Until when (ms) the origin asked to be left alone (Retry-After); 0 when it did not. */
  pausedUntil: number;
}

/** What {@link OriginGates.tryAcquire} answers: go ahead, or come back at `deferUntil`. */
export type GateDecision = { go: true } | { go: false; deferUntil: number; reason: string };

/** How long a push that found its origin's slots full waits, at least (ms). */
const busyDeferMs = 1_000;

/**
 * Flow control per push-service origin, without ever waiting: a push either goes now or is
 * deferred (the worker stores it as a retry that does not count as an attempt). So a slow or
 * throttling push service can only push back its own pushes; the others keep flowing. When an
 * origin throttles (429, 503, WNS 406), its limit of pushes in flight is halved and it is paused
 * until its `Retry-After` (RFC 9110 §10.2.3) has passed; each success raises the limit by one
 * again (additive increase, multiplicative decrease).
 *
 * @example
 * ```ts
 * const gates = new OriginGates({ concurrency: 256 });
 * const decision = gates.tryAcquire(origin, Date.now());
 * if (decision.go) { try { await send(); } finally { gates.release(origin); } }
 * ```
 */
export class OriginGates {
  readonly #max: number;
  readonly #min: number;
  readonly #gates = new Map<string, Gate>();

  constructor(options: OriginGateOptions = {}) {
    this.#max = options.concurrency ?? 1024;
    this.#min = Math.min(this.#max, options.minConcurrency ?? 8);
  }

  #gate(origin: string): Gate {
    let gate = this.#gates.get(origin);
    if (!gate) {
      gate = { limit: this.#max, active: 0, pausedUntil: 0 };
      this.#gates.set(origin, gate);
    }
    return gate;
  }

  /** Takes a slot of `origin`, or says until when to defer the push. */
  tryAcquire(origin: string, now: number, random: () => number = Math.random): GateDecision {
    const gate = this.#gate(origin);
    // Jitter spreads the deferred pushes over a second instead of returning them all at once.
    if (gate.pausedUntil > now) {
      return {
        go: false,
        deferUntil: gate.pausedUntil + Math.floor(random() * busyDeferMs),
        reason: 'the push service asked to slow down (Retry-After)',
      };
    }
    if (gate.active >= gate.limit) {
      return {
        go: false,
        deferUntil: now + busyDeferMs + Math.floor(random() * busyDeferMs),
        reason: `the push service has ${gate.active} pushes in flight, its limit`,
      };
    }
    gate.active++;
    return { go: true };
  }

  /** Frees a slot taken with {@link tryAcquire}. */
  release(origin: string): void {
    this.#gate(origin).active--;
  }

  /** The origin accepted a push: give back one slot of a previous slow-down. */
  succeeded(origin: string): void {
    const gate = this.#gates.get(origin);
    if (gate && gate.limit < this.#max) gate.limit++;
  }

  /** The origin throttled: halve its limit and pause it until `until` (ms). */
  throttled(origin: string, until: number): void {
    const gate = this.#gate(origin);
    gate.limit = Math.max(this.#min, Math.floor(gate.limit / 2));
    gate.pausedUntil = Math.max(gate.pausedUntil, until);
  }

  /** The current limit and pause of an origin (metrics, tests). */
  state(origin: string): { limit: number; active: number; pausedUntil: number } {
    return { ...this.#gate(origin) };
  }
}
