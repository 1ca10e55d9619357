import {
  buildPushRequest,
  createTransport,
  type SendResult,
  sendPushRequest,
  type Transport,
  VapidSigner,
} from '@herald/webpush';
import { AnonymousVapid } from './anonymous-vapid.js';
import type { PushRequest, PushResponse, PushSender } from './sender.js';

/** Options of {@link WebPushSender}. */
export interface WebPushSenderOptions {
  /** Milliseconds one push may take, connection included (default 10 s). */
  timeout?: number;
  /** The transport (default: @herald/webpush's, an undici pool per push-service origin). */
  transport?: Transport;
}

/**
 * The {@link PushSender} on @herald/webpush: RFC 8291 encryption, RFC 8292 VAPID with one signer
 * (and so one cached JWT per push service) per key pair, and connection reuse per origin.
 * Endpoints reach here only through the server's endpoint policy, which is why `http:` (allowed
 * hosts only) is let through.
 *
 * @example
 * ```ts
 * const sender = new WebPushSender();
 * const response = await sender.send(request);
 * await sender.close();
 * ```
 */
export class WebPushSender implements PushSender {
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #timeout: number;
  readonly #signers = new Map<string, Promise<VapidSigner>>();
  readonly #anonymous = new AnonymousVapid();

  constructor(options: WebPushSenderOptions = {}) {
    this.#transport = options.transport ?? createTransport();
    this.#ownsTransport = options.transport === undefined;
    this.#timeout = options.timeout ?? 10_000;
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
    const subscription = { endpoint: push.endpoint, keys: { p256dh: push.p256dh, auth: push.auth } };
    const common = {
      ttl: push.ttl,
      urgency: push.urgency,
      ...(push.topic === null ? {} : { topic: push.topic }),
      contentEncoding: push.contentEncoding,
      allowHttp: true,
    };
    const request =
      push.vapidSubject === undefined
        ? await buildPushRequest(subscription, push.payload, {
            ...common,
            headers: { authorization: await this.#anonymous.authorization(push.endpoint, push.vapidKey) },
          })
        : await buildPushRequest(subscription, push.payload, {
            ...common,
            vapid: await this.#signer(push.vapidSubject, push.vapidKey),
          });
    return toPushResponse(
      await sendPushRequest(request, { transport: this.#transport, timeout: this.#timeout }),
    );
  }

  async close(): Promise<void> {
    if (this.#ownsTransport) await this.#transport.close();
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
