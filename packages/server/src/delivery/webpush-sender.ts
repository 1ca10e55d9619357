import { availableParallelism } from 'node:os';
import {
  buildPushRequest,
  type CryptoBackend,
  defaultBackend,
  type SendResult,
  sendPushRequest,
  type Transport,
  VapidSigner,
  type PushRequest as WebPushRequest,
} from '@herald/webpush';
import {
  createParallelBackend,
  createUndiciTransport,
  type ParallelBackend,
  type UndiciTransportOptions,
} from '@herald/webpush/node';
import { ServerError } from '../errors.js';
import { AnonymousVapid } from './anonymous-vapid.js';
import type { PreparedPush, PushRequest, PushResponse, PushSender } from './sender.js';

/** Options of {@link WebPushSender}. */
export interface WebPushSenderOptions {
  /**
   * Worker threads that do each push's key agreement (RFC 8291 §3.1, the one costly step).
   * Default: one less than the cores (`os.availableParallelism() - 1`), since the event loop
   * keeps a core busy with HTTP, the database and the rest of each request; `0` does
   * everything on the event loop.
   */
  threads?: number;
  /** Connections per push-service origin (default 128). */
  connections?: number;
  /** TLS options for the connections (e.g. `{ ca }` for a push service with a private CA). */
  connect?: UndiciTransportOptions['connect'];
  /** Deadline of one push, queueing for a connection included (default 10 s). */
  timeoutMs?: number;
  /** A transport of your own (tests); `close()` then leaves it open. */
  transport?: Transport;
}

/**
 * The {@link PushSender} on @herald/webpush: RFC 8291 encryption, RFC 8292 VAPID with one signer
 * (and so one cached JWT per push service) per key pair, and keep-alive connections per
 * push-service origin through undici. The key agreements, the work that grows with the
 * audience, run on `@herald/webpush/node`'s parallel backend: agreements requested in the same
 * turn of the event loop travel to a thread together as one transferred buffer (65 bytes in,
 * 98 out per push), so a broadcast uses every core while the threads hold almost no memory.
 * Endpoints reach here only through the server's endpoint policy, which is why `http:`
 * (allowed hosts only) is let through.
 *
 * @example
 * ```ts
 * const sender = new WebPushSender({ threads: 1 });
 * const response = await sender.send(request);
 * await sender.close();
 * ```
 */
export class WebPushSender implements PushSender {
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #timeoutMs: number;
  readonly #backend: CryptoBackend;
  readonly #parallel: ParallelBackend | undefined;
  readonly #signers = new Map<string, Promise<VapidSigner>>();
  readonly #anonymous = new AnonymousVapid();

  constructor(options: WebPushSenderOptions = {}) {
    const threads = options.threads ?? Math.max(0, availableParallelism() - 1);
    if (!Number.isInteger(threads) || threads < 0) {
      throw new ServerError('ERR_INVALID_CONFIG', `threads must be a non-negative integer, got ${threads}`);
    }
    this.#parallel = threads > 0 ? createParallelBackend({ threads }) : undefined;
    this.#backend = this.#parallel ?? defaultBackend;
    this.#ownsTransport = options.transport === undefined;
    this.#transport =
      options.transport ??
      createUndiciTransport({
        connections: options.connections ?? 128,
        ...(options.connect === undefined ? {} : { connect: options.connect }),
      });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Threads doing key agreements (0: the event loop does them). */
  get threads(): number {
    return this.#parallel?.threads ?? 0;
  }

  #signer(subject: string, key: { publicKey: string; privateKey: string }): Promise<VapidSigner> {
    const cacheKey = `${subject} ${key.publicKey}`;
    let signer = this.#signers.get(cacheKey);
    if (!signer) {
      signer = VapidSigner.create({ subject, publicKey: key.publicKey, privateKey: key.privateKey });
      signer.catch(() => this.#signers.delete(cacheKey));
      this.#signers.set(cacheKey, signer);
    }
    return signer;
  }

  async send(push: PushRequest): Promise<PushResponse> {
    return this.#post(await this.#build(push));
  }

  prepare(push: PushRequest): PreparedPush {
    const built = this.#build(push);
    // A push prepared and then not sent (its push service paused meanwhile) must not leave an
    // unhandled rejection behind; `send` still reports the error.
    built.catch(() => undefined);
    return {
      send: async (ttl) => {
        const request = await built;
        // RFC 8030 §5.2: the TTL that remains when the push leaves. It is a header only, outside
        // the encryption, and never crosses 0 here (an expired push is not sent).
        if (ttl !== push.ttl) request.headers.ttl = String(ttl);
        return this.#post(request);
      },
    };
  }

  async #build(push: PushRequest): Promise<WebPushRequest> {
    const subscription = { endpoint: push.endpoint, keys: { p256dh: push.p256dh, auth: push.auth } };
    const options = {
      ttl: push.ttl,
      urgency: push.urgency,
      ...(push.topic === null ? {} : { topic: push.topic }),
      contentEncoding: push.contentEncoding,
      allowHttp: true,
      backend: this.#backend,
    };
    return push.vapidSubject === undefined
      ? buildPushRequest(subscription, push.payload, {
          ...options,
          headers: { authorization: await this.#anonymous.authorization(push.endpoint, push.vapidKey) },
        })
      : buildPushRequest(subscription, push.payload, {
          ...options,
          vapid: await this.#signer(push.vapidSubject, push.vapidKey),
        });
  }

  async #post(request: WebPushRequest): Promise<PushResponse> {
    return toPushResponse(
      await sendPushRequest(request, { transport: this.#transport, timeout: this.#timeoutMs }),
    );
  }

  /** Closes the connections (unless the transport was given) and stops the threads. */
  async close(): Promise<void> {
    if (this.#ownsTransport) await this.#transport.close();
    await this.#parallel?.close();
  }
}

/**
 * The worker's view of a classified send result; throws the error of a send that got no complete
 * answer (the worker retries it like a 5xx).
 *
 * @example
 * ```ts
 * const response = toPushResponse(await sendPushRequest(request, { transport }));
 * ```
 */
export function toPushResponse(result: SendResult): PushResponse {
  if (result.kind === 'delivered') return { status: result.status, retryAfterMs: undefined, body: '' };
  // No complete answer: the worker retries it like a 5xx.
  if (result.status === undefined) throw result.error;
  return {
    status: result.status,
    retryAfterMs: result.kind === 'throttled' ? result.retryAfterMs : undefined,
    body: result.reason ?? result.body,
  };
}
