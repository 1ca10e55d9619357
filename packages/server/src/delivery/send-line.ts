/** A push waiting for a slot: `prepare` starts its encryption, `resume` lets it go. */
interface Waiting {
  prepare: () => void;
  resume: () => void;
}

/**
 * The worker's line of claimed pushes: `concurrency` slots for pushes in flight, the pushes
 * waiting for one in claim order, and the encryption of the next ones in line started ahead of
 * their turn. `room()` tells the claiming loop when to claim the next chunk: once fewer than a
 * chunk's worth wait, so the line never drains between chunks and never holds more than
 * `concurrency` in flight plus two chunks waiting.
 *
 * @example
 * ```ts
 * const line = new SendLine(256, 500);
 * await line.room();
 * await line.take(() => startEncryption());
 * try { await send(); } finally { line.release(); }
 * ```
 */
export class SendLine {
  readonly #concurrency: number;
  readonly #chunk: number;
  /** Pushes holding a slot (at most `concurrency`). */
  #active = 0;
  /** Pushes waiting for a slot, in order. */
  readonly #waiting: Waiting[] = [];
  /** How many of the first pushes in `#waiting` have their encryption started. */
  #ahead = 0;
  /** Wakes the claiming loop when the line has room for another chunk. */
  #roomWaiter: (() => void) | undefined;

  constructor(concurrency: number, chunk: number) {
    this.#concurrency = concurrency;
    this.#chunk = chunk;
  }

  /** Resolves once fewer than a chunk's worth of pushes wait for a slot. */
  async room(): Promise<void> {
    while (this.#waiting.length >= this.#chunk) {
      await new Promise<void>((resolve) => {
        this.#roomWaiter = resolve;
      });
    }
  }

  /**
   * Takes a slot, waiting in line for it; `prepare` (the push's encryption) runs before the slot
   * is granted, at the latest when it is. Synchronous (`undefined`) when a slot is free.
   */
  take(prepare: () => void): Promise<void> | undefined {
    if (this.#active < this.#concurrency) {
      this.#active++;
      prepare();
      return undefined;
    }
    const waiting = new Promise<void>((resume) => this.#waiting.push({ resume, prepare }));
    this.#prepareAhead();
    return waiting;
  }

  /** Frees a slot: the next push in line takes it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) {
      // Started pushes are the first `#ahead` of the line.
      if (this.#ahead > 0) this.#ahead--;
      else next.prepare();
      next.resume();
      this.#prepareAhead();
    } else this.#active--;
    const waiter = this.#roomWaiter;
    if (waiter && this.#waiting.length < this.#chunk) {
      this.#roomWaiter = undefined;
      waiter();
    }
  }

  /**
   * Starts the encryption of the pushes next in line, up to `concurrency` ahead of the sending:
   * enough that a push finds its request built when it gets a slot, few enough that the rest of
   * the line holds no built requests (which V8 would otherwise promote to its old generation).
   * The line is topped up only once half of that is used, so the key agreements reach the
   * crypto threads in batches rather than one per answer.
   */
  #prepareAhead(): void {
    const limit = this.#concurrency;
    if (this.#ahead > limit / 2) return;
    const end = Math.min(limit, this.#waiting.length);
    for (let i = this.#ahead; i < end; i++) this.#waiting[i]!.prepare();
    this.#ahead = Math.max(this.#ahead, end);
  }
}
