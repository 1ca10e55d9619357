import { randomBytes } from 'node:crypto';
import { errorCodes } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { withDelivery } from '../push/payload.js';
import type { ReceiptTokens } from '../push/receipt-tokens.js';
import type {
  ClaimedChunk,
  ClaimedDelivery,
  DeliveryOutcome,
  MessageRecord,
  PushTarget,
  Storage,
  VapidKeyRecord,
} from '../storage/storage.js';
import type { VapidKeyRing } from '../vapid-key-ring.js';
import { OriginGates } from './origin-gate.js';
import { type Attempt, classify, defaultRetryPolicy, type RetryPolicy } from './outcome.js';
import { SendLine } from './send-line.js';
import type { PreparedPush, PushRequest, PushSender } from './sender.js';

/** Options of {@link DeliveryWorker}. */
export interface WorkerOptions {
  storage: Storage;
  sender: PushSender;
  keys: VapidKeyRing;
  /** Signs the per-delivery receipt token carried in each payload. */
  receipts: ReceiptTokens;
  metrics?: Metrics;
  /** The VAPID `sub`; without a valid one, Apple endpoints fail with ERR_VAPID_SUBJECT_REQUIRED. */
  vapidSubject?: string | undefined;
  /** Subscriptions per fan-out chunk (default 500). */
  batchSize?: number;
  /** Pushes in flight at once, all origins together (default 1024). */
  concurrency?: number;
  /** Pushes in flight to one push-service origin (default: `concurrency`). */
  originConcurrency?: number;
  /** How long a claim is held without a heartbeat before another worker may take it (default 30 s). */
  leaseMs?: number;
  /** Sleep between polls when there is nothing to do (default 250 ms). */
  idleMs?: number;
  retryPolicy?: RetryPolicy;
  /** Reports unexpected errors of the loop (it keeps running). */
  onError?: (error: unknown) => void;
}

const appleHost = /\.push\.apple\.com$/;
/** How often due retries are looked for while a fan-out keeps the worker busy (ms). */
const retryPollMs = 500;

/** One push to make: a subscription (absent when deleted since) and the attempts made before. */
interface Target {
  target: PushTarget | undefined;
  id: string;
  /** Attempts made before this one. */
  attempts: number;
}

/** Claimed work: a fan-out chunk, or the due retries of one message. */
type Unit =
  | { kind: 'chunk'; claimed: ClaimedChunk }
  | { kind: 'retries'; message: MessageRecord; claimed: ClaimedDelivery[] };

/**
 * The delivery worker: one loop that claims work leased in storage and sends it. Work is either
 * a fan-out chunk (the next `batchSize` subscribers of a due message, in keyset order: nothing
 * is materialised per subscriber before the first push leaves) or the due retries of a message.
 * Chunks are claimed ahead while earlier ones are still sending, so the pipeline never drains
 * between chunks; each chunk's outcomes are recorded in one transaction when its last push has
 * an answer. A heartbeat extends the leases of the work in progress; a worker that dies (even by
 * SIGKILL) stops renewing them, and the chunks and retries it held are claimed again by another
 * worker (or the restarted one) once their lease has run out. Delivery is therefore at least
 * once: the subscribers of the chunks a worker held when it died may receive the message twice.
 * A chunk is held until its last push has an answer: usually two or three chunks, at worst
 * `(concurrency + 2) × batchSize` subscribers (each push in flight from another chunk).
 *
 * Per push-service origin, {@link OriginGates} limits the pushes in flight and pauses an origin
 * that throttles: pushes that would wait are stored as retries instead (not counted as
 * attempts), so one slow push service never stalls the others or the fan-out.
 *
 * @example
 * ```ts
 * const worker = new DeliveryWorker({ storage, sender, keys });
 * worker.start();
 * await worker.stop();
 * ```
 */
export class DeliveryWorker {
  readonly owner = `worker_${randomBytes(6).toString('hex')}`;
  readonly #o: Required<Omit<WorkerOptions, 'metrics' | 'vapidSubject' | 'onError' | 'originConcurrency'>> &
    Pick<WorkerOptions, 'metrics' | 'vapidSubject' | 'onError'>;
  readonly #gates: OriginGates;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  /** The claimed pushes: slots in flight, the line waiting, encryption started ahead. */
  readonly #line: SendLine;
  /** Whether a push-service origin is Apple's, by origin. */
  readonly #apple = new Map<string, boolean>();

  constructor(options: WorkerOptions) {
    this.#o = {
      batchSize: 500,
      concurrency: 1024,
      leaseMs: 30_000,
      idleMs: 250,
      retryPolicy: defaultRetryPolicy,
      ...options,
    };
    this.#gates = new OriginGates({ concurrency: options.originConcurrency ?? this.#o.concurrency });
    this.#line = new SendLine(this.#o.concurrency, this.#o.batchSize);
  }

  /** Starts the loop in the background. */
  start(): void {
    if (this.#running) return;
    this.#stopping = false;
    this.#running = this.#loop();
  }

  /** Stops claiming, lets the work in progress finish and be recorded; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    this.#running = undefined;
  }

  /** Ends the idle sleep early (called when a message was just created). */
  wake(): void {
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      let worked = false;
      try {
        worked = await this.runOnce();
      } catch (error) {
        this.#o.onError?.(error);
      }
      if (!worked && !this.#stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#o.idleMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  /**
   * Claims and sends work until none is due: fan-out chunks (several in flight) and retries.
   * Resolves when everything claimed has been recorded; returns whether there was any work.
   */
  async runOnce(): Promise<boolean> {
    let worked = false;
    const inFlight = new Set<Promise<void>>();
    const heartbeat = setInterval(() => {
      if (inFlight.size === 0) return;
      this.#o.storage
        .renewLeases(this.owner, Date.now(), this.#o.leaseMs)
        .catch((error: unknown) => this.#o.onError?.(error));
    }, this.#o.leaseMs / 3);
    let lastRetryPoll = 0;
    try {
      while (!this.#stopping) {
        await this.#line.room();
        let units: Unit[] = [];
        const now = Date.now();
        if (now - lastRetryPoll >= retryPollMs) {
          lastRetryPoll = now;
          units = await this.#claimRetries();
        }
        if (units.length === 0) {
          const claimed = await this.#o.storage.claimChunk(
            this.owner,
            Date.now(),
            this.#o.leaseMs,
            this.#o.batchSize,
          );
          if (claimed) units = [{ kind: 'chunk', claimed }];
        }
        if (units.length === 0 && lastRetryPoll !== now) {
          lastRetryPoll = Date.now();
          units = await this.#claimRetries();
        }
        if (units.length === 0) break;
        worked = true;
        for (const unit of units) {
          const work = this.#process(unit)
            .catch((error: unknown) => this.#o.onError?.(error))
            .finally(() => inFlight.delete(work));
          inFlight.add(work);
        }
      }
      await Promise.all(inFlight);
    } finally {
      clearInterval(heartbeat);
    }
    return worked;
  }

  /** Claims due retries, one unit per message. */
  async #claimRetries(): Promise<Unit[]> {
    const claimed = await this.#o.storage.claimRetries(
      this.owner,
      Date.now(),
      this.#o.leaseMs,
      this.#o.batchSize,
    );
    const byMessage = new Map<string, ClaimedDelivery[]>();
    for (const c of claimed) {
      const group = byMessage.get(c.message.id);
      if (group) group.push(c);
      else byMessage.set(c.message.id, [c]);
    }
    return [...byMessage.values()].map((group) => ({
      kind: 'retries' as const,
      message: group[0]!.message,
      claimed: group,
    }));
  }

  async #process(unit: Unit): Promise<void> {
    if (unit.kind === 'chunk') {
      const { message, chunk, targets } = unit.claimed;
      const outcomes = await this.#sendAll(
        targets.map((t) => ({ target: t, id: t.id, attempts: 0 })),
        message,
      );
      await this.#o.storage.recordChunk(chunk, this.owner, outcomes, Date.now());
    } else {
      const outcomes = await this.#sendAll(
        unit.claimed.map((c) => ({
          target: c.subscription,
          id: c.delivery.subscriptionId,
          attempts: c.delivery.attempts,
        })),
        unit.message,
      );
      await this.#o.storage.recordRetries(unit.message.id, this.owner, outcomes, Date.now());
    }
  }

  async #sendAll(targets: Target[], message: MessageRecord): Promise<DeliveryOutcome[]> {
    return Promise.all(
      targets.map(async (target) => {
        // The encryption starts while the push waits in line (see SendLine).
        let early: Promise<PreparedPush | undefined> = Promise.resolve(undefined);
        await this.#line.take(() => {
          early = this.#prepareEarly(target, message);
        });
        try {
          return await this.#sendOne(target, message, early);
        } finally {
          this.#line.release();
        }
      }),
    );
  }

  /**
   * Starts encrypting a push before it has a slot, so that key agreements reach the crypto
   * threads in batches. Resolves to nothing when the push will not be sent as is (its
   * subscription deleted, key missing, TTL over, no VAPID subject for Apple): `#sendOne` then
   * decides, as it does for everything else.
   */
  async #prepareEarly(target: Target, message: MessageRecord): Promise<PreparedPush | undefined> {
    const subscription = target.target;
    if (!subscription) return undefined;
    const ttl = this.#remainingTtl(message, Date.now());
    if (ttl === undefined || this.#needsSubject(subscription)) return undefined;
    const key = await this.#o.keys.byId(subscription.vapidKeyId).catch(() => undefined);
    return key ? this.#prepare(subscription, key, message, ttl) : undefined;
  }

  /** RFC 8030 §5.2: the TTL that remains (a retry never carries the original); none left, undefined. */
  #remainingTtl(message: MessageRecord, now: number): number | undefined {
    if (message.ttl === 0) return 0;
    const ttl = Math.floor((message.sendAt + message.ttl * 1000 - now) / 1000);
    return ttl > 0 ? ttl : undefined;
  }

  /** Apple refuses VAPID without a `sub`. */
  #needsSubject(subscription: PushTarget): boolean {
    return this.#o.vapidSubject === undefined && this.#appleOrigin(subscription.pushServiceOrigin);
  }

  #appleOrigin(origin: string): boolean {
    let apple = this.#apple.get(origin);
    if (apple === undefined) {
      apple = appleHost.test(new URL(origin).hostname);
      this.#apple.set(origin, apple);
    }
    return apple;
  }

  #prepare(
    subscription: PushTarget,
    key: Pick<VapidKeyRecord, 'publicKey' | 'privateKey'>,
    message: MessageRecord,
    ttl: number,
  ): PreparedPush {
    const request: PushRequest = {
      endpoint: subscription.endpoint,
      p256dh: subscription.p256dh,
      auth: subscription.auth,
      contentEncoding: subscription.contentEncoding,
      vapidKey: { publicKey: key.publicKey, privateKey: key.privateKey },
      vapidSubject: this.#o.vapidSubject,
      payload: withDelivery(
        message.payload,
        message.id,
        subscription.id,
        this.#o.receipts.sign(message.id, subscription.id),
      ),
      ttl,
      urgency: message.urgency,
      topic: message.topic,
    };
    const { sender } = this.#o;
    return sender.prepare
      ? sender.prepare(request)
      : { send: (remaining) => sender.send({ ...request, ttl: remaining }) };
  }

  async #sendOne(
    target: Target,
    message: MessageRecord,
    early: Promise<PreparedPush | undefined>,
  ): Promise<DeliveryOutcome> {
    const now = Date.now();
    const expiresAt = message.sendAt + message.ttl * 1000;
    const subscription = target.target;
    // Deleted since the retry was scheduled: nothing to send to, counted as gone.
    if (!subscription) return { subscriptionId: target.id, result: 'gone', revision: -1 };
    const attempts = target.attempts + 1;
    const base = { subscriptionId: subscription.id, revision: subscription.revision, attempts, expiresAt };
    const finish = (attempt: Attempt): DeliveryOutcome => {
      const outcome = classify(attempt, Date.now(), this.#o.retryPolicy);
      this.#o.metrics?.sends.inc({ result: outcome.result });
      return outcome;
    };
    const ttl = this.#remainingTtl(message, now);
    if (ttl === undefined) {
      return finish({
        ...base,
        error: { message: 'the TTL ran out before the push could be sent', permanent: true },
      });
    }
    const origin = subscription.pushServiceOrigin;
    if (this.#needsSubject(subscription)) {
      return finish({
        ...base,
        error: {
          message: `ERR_VAPID_SUBJECT_REQUIRED: ${errorCodes.ERR_VAPID_SUBJECT_REQUIRED}`,
          permanent: true,
          configError: true,
        },
      });
    }
    const key = await this.#o.keys.byId(subscription.vapidKeyId);
    if (!key) {
      return finish({
        ...base,
        error: {
          message: `VAPID key ${subscription.vapidKeyId} is missing`,
          permanent: true,
          configError: true,
        },
      });
    }
    const gate = this.#gates.tryAcquire(origin, now);
    if (!gate.go) {
      // Not an attempt: the push never left. Past the TTL it would be late, so it fails instead.
      if (gate.deferUntil >= expiresAt && message.ttl > 0) {
        return finish({
          ...base,
          error: { message: `${gate.reason}; the TTL runs out before it may be sent`, permanent: true },
        });
      }
      this.#o.metrics?.sends.inc({ result: 'deferred' });
      return {
        subscriptionId: subscription.id,
        result: 'retry',
        attempts: target.attempts,
        nextAttemptAt: gate.deferUntil,
        status: null,
        error: `deferred: ${gate.reason}`,
      };
    }
    const started = performance.now();
    try {
      const prepared = (await early) ?? this.#prepare(subscription, key, message, ttl);
      const response = await prepared.send(ttl);
      this.#o.metrics?.sendSeconds.observe({}, (performance.now() - started) / 1000);
      const { status } = response;
      if (status >= 200 && status < 300) this.#gates.succeeded(origin);
      else if (status === 429 || status === 503 || status === 406) {
        const answeredAt = Date.now();
        const wait = response.retryAfterMs ?? this.#o.retryPolicy.baseDelayMs;
        this.#gates.throttled(origin, answeredAt + wait);
      }
      return finish({ ...base, response });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // Errors the sender raises before any request (bad key material, payload too large) will
      // not get better with a retry; anything else (network, timeout) might.
      const permanent = typeof code === 'string' && /^ERR_(INVALID|PAYLOAD)/.test(code);
      return finish({
        ...base,
        error: { message: error instanceof Error ? error.message : String(error), permanent },
      });
    } finally {
      this.#gates.release(origin);
    }
  }
}
