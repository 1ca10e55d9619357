import { describeValue } from '../describe-value.js';
import { WebPushError } from '../errors.js';
import type { PushRequest } from '../push-request.js';
import { buildPushRequest, type PushRequestOptions } from '../request.js';
import type { KeylessSubscription, PushSubscriptionJSON, ValidSubscription } from '../subscription.js';
import { classifyFailure, classifyResponse, type SendResult } from './classify.js';
import { sharedTransport } from './create-transport.js';
import type { Transport, TransportSendOptions } from './transport.js';

/**
 * How a request travels: the transport, the time limit, cancellation.
 *
 * @example
 * ```ts
 * const delivery: DeliveryOptions = { transport, timeout: 5_000, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface DeliveryOptions {
  /**
   * The transport to send through. Default: one shared transport per process, created on
   * first use (`createTransport()`: undici on Node, `fetch` elsewhere).
   */
  transport?: Transport;
  /**
   * Milliseconds the whole exchange may take, waiting for a connection included, before it is
   * aborted and the result is `timeout`. Default {@link defaultTimeout}.
   */
  timeout?: number;
  /** Cancels the send; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Bytes of an answer's body kept for the result. Default 16,384. */
  maxResponseBytes?: number;
}

/**
 * Options of {@link sendNotification}: how to build the request, and how to deliver it.
 *
 * @example
 * ```ts
 * const options: SendOptions = { vapid, ttl: 3600, urgency: 'high', timeout: 5_000 };
 * ```
 */
export interface SendOptions extends PushRequestOptions, DeliveryOptions {}

/**
 * The default time limit of one send, in ms. Push services answer in tens of milliseconds;
 * ten seconds tolerates a slow network without letting a stalled server hold a sender.
 *
 * @example
 * ```ts
 * await sendNotification(subscription, 'hi', { timeout: defaultTimeout * 2 });
 * ```
 */
export const defaultTimeout = 10_000;
const defaultMaxResponseBytes = 16_384;
// setTimeout fires at once for delays beyond 2^31 - 1 ms.
const maxTimeout = 2_147_483_647;

/** Checks the delivery options once; sendMany reuses the result for every item. */
export function transportOptions(options: DeliveryOptions | undefined): TransportSendOptions {
  const timeout = options?.timeout ?? defaultTimeout;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > maxTimeout) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `timeout must be an integer number of milliseconds from 1 to ${maxTimeout}, got ${describeValue(timeout)}`,
    );
  }
  const maxResponseBytes = options?.maxResponseBytes ?? defaultMaxResponseBytes;
  if (typeof maxResponseBytes !== 'number' || !Number.isInteger(maxResponseBytes) || maxResponseBytes < 0) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `maxResponseBytes must be a non-negative integer, got ${describeValue(maxResponseBytes)}`,
    );
  }
  return { timeout, maxResponseBytes, signal: options?.signal };
}

/**
 * Sends a request built by `buildPushRequest` and classifies the answer. Use it when requests
 * are built elsewhere (another thread, a queue).
 *
 * @throws the reason of `options.signal` when the caller aborts; `ERR_TRANSPORT_CLOSED` when
 * the transport was closed; `ERR_INVALID_ARGUMENT` for invalid options.
 * @example
 * ```ts
 * const request = await buildPushRequest(subscription, 'hi', { vapid });
 * const result = await sendPushRequest(request, { timeout: 5_000 });
 * ```
 */
export async function sendPushRequest(request: PushRequest, options?: DeliveryOptions): Promise<SendResult> {
  return deliver(request, options?.transport ?? sharedTransport(), transportOptions(options));
}

/** Sends with options already checked. */
export async function deliver(
  request: PushRequest,
  transport: Transport,
  options: TransportSendOptions,
): Promise<SendResult> {
  try {
    return classifyResponse(request, await transport.send(request, options));
  } catch (error) {
    if (options.signal?.aborted && error === options.signal.reason) throw error;
    // A closed transport is a mistake in the caller's code, not a push-service outcome.
    if (error instanceof WebPushError && error.code === 'ERR_TRANSPORT_CLOSED') throw error;
    return classifyFailure(request, error);
  }
}

/**
 * Encrypts and sends one push message and tells what became of it: a {@link SendResult}
 * with a stable `kind` (`delivered`, `gone`, `throttled` with `retryAfterMs`, `unauthorized`,
 * ...), never an exception for the push service's answer, a timeout or a network failure.
 *
 * @throws WebPushError for invalid input (`ERR_INVALID_SUBSCRIPTION`, `ERR_INVALID_ARGUMENT`,
 * `ERR_PAYLOAD_TOO_LARGE`), before anything is sent; `ERR_TRANSPORT_CLOSED` when the given
 * transport was closed; the signal's reason when aborted.
 * @example
 * ```ts
 * const result = await sendNotification(subscription, JSON.stringify({ title: 'Hi' }), { vapid, ttl: 3600 });
 * if (result.kind === 'gone') await store.remove(subscription.endpoint);
 * else if (result.retryable) retryLater(result);
 * ```
 */
export async function sendNotification(
  subscription: PushSubscriptionJSON | ValidSubscription | KeylessSubscription,
  payload?: string | Uint8Array | null,
  options?: SendOptions,
): Promise<SendResult> {
  const delivery = transportOptions(options);
  const request = await buildPushRequest(subscription, payload, options);
  return deliver(request, options?.transport ?? sharedTransport(), delivery);
}
