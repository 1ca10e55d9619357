import { randomBytes } from 'node:crypto';
import { errorCodes } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { withDelivery } from '../push/payload.js';
import type { ReceiptTokens } from '../push/receipt-tokens.js';
import type { DeliveryOutcome, MessageRecord, Storage, SubscriptionRecord } from '../storage/storage.js';
import type { VapidKeyRing } from '../vapid-key-ring.js';
import { type Attempt, classify, defaultRetryPolicy, type RetryPolicy } from './outcome.js';
import type { PushSender } from './sender.js';

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
  /** Subscriptions read per fan-out step (default 500). */
  batchSize?: number;
  /** Pushes in flight at once (default 64). */
  concurrency?: number;
  /** How long a claim is held without progress before another worker may take it (default 30 s). */
  leaseMs?: number;
  /** Sleep between polls when there is nothing to do (default 250 ms). */
  idleMs?: number;
  retryPolicy?: RetryPolicy;
  /** Reports unexpected errors of the loop (it keeps running). */
  onError?: (error: unknown) => void;
}

const appleHost = /\.push\.apple\.com$/;

/**
 * The delivery worker: one loop that claims due messages (leased in storage), walks their
 * subscribers in keyset order a batch at a time, sends each push through the {@link PushSender},
 * and records the batch's outcomes with the new cursor in one transaction; then it sends the
 * retries that are due. A worker that dies loses its lease and another (or the restarted one)
 * continues from the last recorded cursor, so delivery is at least once: at most one batch in
 * flight can be sent twice.
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
  readonly #o: Required<Omit<WorkerOptions, 'metrics' | 'vapidSubject' | 'onError'>> &
    Pick<WorkerOptions, 'metrics' | 'vapidSubject' | 'onError'>;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.#o = {
      batchSize: 500,
      concurrency: 64,
      leaseMs: 30_000,
      idleMs: 250,
      retryPolicy: defaultRetryPolicy,
      ...options,
    };
  }

  /** Starts the loop in the background. */
  start(): void {
    if (this.#running) return;
    this.#stopping = false;
    this.#running = this.#loop();
  }

  /** Stops after the current step; resolves when the loop has ended. */
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

  /** One step: fans out one due message to the end (or until its lease is lost), then due retries. Returns whether there was work. */
  async runOnce(): Promise<boolean> {
    let worked = false;
    const message = await this.#o.storage.claimMessage(this.owner, Date.now(), this.#o.leaseMs);
    if (message) {
      worked = true;
      await this.#fanOut(message);
    }
    const retries = await this.#o.storage.claimRetries(
      this.owner,
      Date.now(),
      this.#o.leaseMs,
      this.#o.batchSize,
    );
    if (retries.length > 0) {
      worked = true;
      const byMessage = new Map<string, typeof retries>();
      for (const claimed of retries) {
        const list = byMessage.get(claimed.message.id) ?? [];
        list.push(claimed);
        byMessage.set(claimed.message.id, list);
      }
      for (const [messageId, claimed] of byMessage) {
        const message = claimed[0]!.message;
        const outcomes = await this.#sendAll(
          claimed.map((c) => ({
            subscription: c.subscription,
            id: c.delivery.subscriptionId,
            attempts: c.delivery.attempts + 1,
          })),
          message,
        );
        await this.#o.storage.recordRetries(messageId, this.owner, outcomes, Date.now());
      }
    }
    return worked;
  }

  async #fanOut(message: MessageRecord): Promise<void> {
    let cursor = message.cursor;
    // RFC 8030 §5.2: past its TTL a message must not be delivered. When that is already so at
    // the claim (the server was down, or the queue long), the subscribers not yet reached are
    // failed in bulk: counted, without walking them or writing a row each.
    if (message.ttl > 0 && Date.now() >= message.sendAt + message.ttl * 1000) {
      const { targeted, sent, failed, gone } = message.counts;
      await this.#o.storage.recordFanout(
        message.id,
        this.owner,
        { cursor, done: true, outcomes: [], expired: Math.max(0, targeted - sent - failed - gone) },
        Date.now(),
        this.#o.leaseMs,
      );
      return;
    }
    while (!this.#stopping) {
      const batch = await this.#o.storage.targetBatch(message.target, cursor, this.#o.batchSize);
      const done = batch.length < this.#o.batchSize;
      const outcomes = await this.#sendAll(
        batch.map((s) => ({ subscription: s, id: s.id, attempts: 1 })),
        message,
      );
      if (batch.length > 0) cursor = batch.at(-1)!.id;
      const held = await this.#o.storage.recordFanout(
        message.id,
        this.owner,
        { cursor, done, outcomes },
        Date.now(),
        this.#o.leaseMs,
      );
      if (!held || done) return;
    }
  }

  async #sendAll(
    targets: { subscription: SubscriptionRecord | undefined; id: string; attempts: number }[],
    message: MessageRecord,
  ): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = new Array(targets.length);
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.#o.concurrency, targets.length) }, async () => {
      while (next < targets.length) {
        const index = next++;
        outcomes[index] = await this.#sendOne(targets[index]!, message);
      }
    });
    await Promise.all(lanes);
    return outcomes;
  }

  async #sendOne(
    target: { subscription: SubscriptionRecord | undefined; id: string; attempts: number },
    message: MessageRecord,
  ): Promise<DeliveryOutcome> {
    const now = Date.now();
    const expiresAt = message.sendAt + message.ttl * 1000;
    const subscription = target.subscription;
    // Deleted since the retry was scheduled: nothing to send to, counted as gone.
    if (!subscription) return { subscriptionId: target.id, result: 'gone', revision: -1 };
    const base = {
      subscriptionId: subscription.id,
      revision: subscription.revision,
      attempts: target.attempts,
      expiresAt,
    };
    const finish = (attempt: Attempt): DeliveryOutcome => {
      const outcome = classify(attempt, Date.now(), this.#o.retryPolicy);
      this.#o.metrics?.sends.inc({ result: outcome.result });
      return outcome;
    };
    // RFC 8030 §5.2: a retry carries the TTL that remains, never the original; none left, no send.
    const ttl = message.ttl === 0 ? 0 : Math.floor((expiresAt - now) / 1000);
    if (message.ttl > 0 && ttl <= 0) {
      return finish({
        ...base,
        error: { message: 'the TTL ran out before the push could be sent', permanent: true },
      });
    }
    if (appleHost.test(new URL(subscription.endpoint).hostname) && this.#o.vapidSubject === undefined) {
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
    const started = performance.now();
    try {
      const response = await this.#o.sender.send({
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
      });
      this.#o.metrics?.sendSeconds.observe({}, (performance.now() - started) / 1000);
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
    }
  }
}
