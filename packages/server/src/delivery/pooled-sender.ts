import { sendPushRequest, type Transport } from '@herald/webpush';
import { createUndiciTransport, type UndiciTransportOptions } from '@herald/webpush/node';
import type { BuildContext, BuildItem, BuildResult } from './build-requests.js';
import { CryptoPool } from './crypto-pool.js';
import type { PushRequest, PushResponse, PushSender } from './sender.js';
import { toPushResponse } from './webpush-sender.js';

/** Options of {@link PooledSender}. */
export interface PooledSenderOptions {
  /** Crypto threads (default: one per core; `0` encrypts on the event loop). */
  threads?: number;
  /** Connections per push-service origin (default 128). */
  connections?: number;
  /** TLS options for the connections (e.g. `{ ca }` for a push service with a private CA). */
  connect?: UndiciTransportOptions['connect'];
  /** Deadline of one push, queueing included (default 10 s). */
  timeoutMs?: number;
  /** A transport of your own (tests); `close()` then leaves it open. */
  transport?: Transport;
}

interface Queued {
  item: BuildItem;
  resolve: (response: PushResponse) => void;
  reject: (error: unknown) => void;
}

interface Batch {
  context: BuildContext;
  queued: Queued[];
}

/** Thrown when a request could not be built; `code` is `@herald/webpush`'s (`ERR_INVALID_*`, `ERR_PAYLOAD_TOO_LARGE`). */
class BuildError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The production {@link PushSender}: pushes handed to `send` within one turn of the event loop
 * are grouped by what they share (key, TTL, urgency, topic) and built together on the
 * {@link CryptoPool}'s threads, then POSTed through `@herald/webpush`'s undici transport (one
 * keep-alive pool of connections per push-service origin). The worker keeps hundreds of sends
 * in flight, so the groups are large and the encryption of a broadcast uses every core.
 *
 * @example
 * ```ts
 * const sender = new PooledSender({ threads: 2 });
 * const response = await sender.send(request);
 * await sender.close();
 * ```
 */
export class PooledSender implements PushSender {
  readonly #pool: CryptoPool;
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #timeoutMs: number;
  #batches = new Map<string, Batch>();
  #scheduled = false;

  constructor(options: PooledSenderOptions = {}) {
    this.#pool = new CryptoPool(options.threads === undefined ? {} : { threads: options.threads });
    this.#ownsTransport = options.transport === undefined;
    this.#transport =
      options.transport ??
      createUndiciTransport({
        connections: options.connections ?? 128,
        ...(options.connect === undefined ? {} : { connect: options.connect }),
      });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  send(request: PushRequest): Promise<PushResponse> {
    const { vapidKey, vapidSubject } = request;
    const key = `${vapidKey.publicKey} ${request.ttl} ${request.urgency} ${request.topic} ${vapidSubject}`;
    let batch = this.#batches.get(key);
    if (!batch) {
      batch = {
        context: {
          ttl: request.ttl,
          urgency: request.urgency,
          topic: request.topic,
          vapid: { subject: vapidSubject, publicKey: vapidKey.publicKey, privateKey: vapidKey.privateKey },
        },
        queued: [],
      };
      this.#batches.set(key, batch);
    }
    const item: BuildItem = {
      endpoint: request.endpoint,
      p256dh: request.p256dh,
      auth: request.auth,
      contentEncoding: request.contentEncoding,
      payload: request.payload,
    };
    const pending = new Promise<PushResponse>((resolve, reject) =>
      batch.queued.push({ item, resolve, reject }),
    );
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return pending;
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = this.#batches;
    this.#batches = new Map();
    for (const batch of batches.values()) {
      this.#pool
        .build(
          batch.context,
          batch.queued.map((q) => q.item),
        )
        .then(
          (results) => {
            for (let i = 0; i < results.length; i++) this.#post(results[i]!, batch.queued[i]!);
          },
          (error: unknown) => {
            for (const queued of batch.queued) queued.reject(error);
          },
        );
    }
  }

  #post(result: BuildResult, queued: Queued): void {
    if ('error' in result) {
      queued.reject(new BuildError(result.error.code, result.error.message));
      return;
    }
    sendPushRequest(result.request, { transport: this.#transport, timeout: this.#timeoutMs }).then((sent) => {
      try {
        queued.resolve(toPushResponse(sent));
      } catch (error) {
        queued.reject(error);
      }
    }, queued.reject);
  }

  async close(): Promise<void> {
    if (this.#ownsTransport) await this.#transport.close();
    await this.#pool.close();
  }
}
