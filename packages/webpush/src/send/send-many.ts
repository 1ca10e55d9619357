import { describeValue } from '../describe-value.js';
import { WebPushError } from '../errors.js';
import { buildPushRequest, type PushRequestOptions } from '../request.js';
import type { KeylessSubscription, PushSubscriptionJSON, ValidSubscription } from '../subscription.js';
import type { SendResult } from './classify.js';
import { createTransport } from './create-transport.js';
import { type DeliveryOptions, deliver, type SendOptions, transportOptions } from './send-notification.js';

/**
 * One message for {@link sendMany}. Extra properties (an id, a user) travel along untouched
 * and come back with the outcome.
 *
 * @example
 * ```ts
 * const item: SendManyItem = { subscription, payload: 'hi', options: { topic: 'inbox' } };
 * ```
 */
export interface SendManyItem {
  subscription: PushSubscriptionJSON | ValidSubscription | KeylessSubscription;
  /** The message; `null` or absent sends one without payload. */
  payload?: string | Uint8Array | null;
  /** Request options for this item, over those given to `sendMany`. */
  options?: PushRequestOptions;
}

/**
 * The outcome of an item that could not be sent at all: its subscription or options were
 * invalid, or its payload too large. Only {@link sendMany} gives it; `sendNotification` throws.
 *
 * @example
 * ```ts
 * if (outcome.result.kind === 'invalid') console.warn(outcome.result.error.code);
 * ```
 */
export interface InvalidResult {
  kind: 'invalid';
  ok: false;
  retryable: false;
  status: undefined;
  /** `ERR_INVALID_SUBSCRIPTION`, `ERR_INVALID_ARGUMENT`, `ERR_PAYLOAD_TOO_LARGE`, ... */
  error: WebPushError;
}

/**
 * What {@link sendMany} yields for each item, in order of completion.
 *
 * @example
 * ```ts
 * for await (const { item, result } of sendMany(items, { vapid })) {
 *   if (result.kind === 'gone') await store.remove(item.id);
 * }
 * ```
 */
export interface SendManyOutcome<T extends SendManyItem> {
  item: T;
  result: SendResult | InvalidResult;
}

/**
 * Options of {@link sendMany}: those of `sendNotification`, for every item, and a concurrency.
 *
 * @example
 * ```ts
 * const options: SendManyOptions = { vapid, concurrency: 32, timeout: 5_000 };
 * ```
 */
export interface SendManyOptions extends SendOptions {
  /**
   * The most messages being encrypted or in flight at once. Freed slots are refilled once an
   * eighth of them (rounded up) are free, so between 7/8 and all of this number are in flight.
   * Default {@link defaultConcurrency}.
   */
  concurrency?: number;
}

/**
 * The default concurrency of {@link sendMany}: as many as the Node transport keeps connections
 * to one origin, so that no request waits in a pool queue by default.
 *
 * @example
 * ```ts
 * sendMany(items, { concurrency: defaultConcurrency * 2 });
 * ```
 */
export const defaultConcurrency = 64;

function checkConcurrency(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65_536) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `concurrency must be an integer from 1 to 65536, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Sends that share one abort controller (see sendMany). */
interface SendGroup {
  controller: AbortController;
  /** Sends started with it; it takes no more once this reaches `sendsPerController`. */
  started: number;
  /** Sends started with it and not finished. */
  running: number;
}

// Below the 10 listeners per signal beyond which Node warns of a leak.
const sendsPerController = 8;

function invalidItem(error: WebPushError): InvalidResult {
  return { kind: 'invalid', ok: false, retryable: false, status: undefined, error };
}

/**
 * Sends many push messages with bounded concurrency and bounded memory, and yields each
 * outcome as it completes (not in input order). The input, sync or async iterable, is pulled
 * only when slots free, so it can be a database cursor over millions of rows: at most
 * `concurrency` items and results are held at once. All sends share one transport, so
 * connections to each push service are reused.
 *
 * Freed slots are refilled in batches of `concurrency / 8` (rounded up): the messages of a
 * batch are encrypted back to back and their requests leave in the same event-loop turn, which
 * cost 15-17% less CPU per message on one thread than refilling each slot as it frees.
 *
 * Items that cannot be sent (invalid subscription or options, payload too large) yield a
 * result of kind `invalid` instead of throwing. Stopping the iteration early, aborting
 * `signal`, or an error thrown by the input aborts the sends in flight. A transport created
 * here (when `options.transport` is absent) is closed when the iteration ends.
 *
 * @throws WebPushError `ERR_INVALID_ARGUMENT` for invalid shared options, on the first
 * iteration; the signal's reason when aborted; whatever the input iterator throws.
 * @example
 * ```ts
 * async function* rows() {
 *   for await (const row of db.cursor('select id, subscription from subscribers')) {
 *     yield { id: row.id, subscription: row.subscription, payload: 'News!' };
 *   }
 * }
 * for await (const { item, result } of sendMany(rows(), { vapid, concurrency: 64 })) {
 *   if (result.kind === 'gone') await db.remove(item.id);
 * }
 * ```
 */
export async function* sendMany<T extends SendManyItem>(
  items: Iterable<T> | AsyncIterable<T>,
  options?: SendManyOptions,
): AsyncGenerator<SendManyOutcome<T>, void, undefined> {
  const concurrency = checkConcurrency(options?.concurrency ?? defaultConcurrency);
  const refillBatch = Math.ceil(concurrency / 8);
  const callerSignal = options?.signal;
  const delivery = transportOptions({ ...(options as DeliveryOptions), signal: undefined });
  if (callerSignal?.aborted) throw callerSignal.reason;
  // Sends share abort controllers, at most `sendsPerController` each, all aborted when the
  // iteration ends early. One controller per send cost about 5% of a send's CPU (a new
  // AbortSignal and its first listener); one for all would carry `concurrency` listeners, and
  // Node warns of a leak beyond 10 on one signal.
  const groups = new Set<SendGroup>();
  let group: SendGroup | undefined;
  let stopReason: { reason: unknown } | undefined;
  const abortAll = (reason: unknown) => {
    stopReason ??= { reason };
    for (const { controller } of groups) controller.abort(reason);
  };
  const onAbort = () => {
    abortAll(callerSignal!.reason);
    notify();
  };
  callerSignal?.addEventListener('abort', onAbort, { once: true });

  const owned = options?.transport === undefined;
  const transport = options?.transport ?? createTransport();
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();

  const completed: SendManyOutcome<T>[] = [];
  let running = 0;
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  const sendItem = async (item: T, signal: AbortSignal): Promise<SendManyOutcome<T>> => {
    if (typeof item !== 'object' || item === null) {
      const error = new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `each item must be an object {subscription, payload?, options?}, got ${item === null ? 'null' : typeof item}`,
      );
      return { item, result: invalidItem(error) };
    }
    const requestOptions = item.options === undefined ? options : { ...options, ...item.options };
    let request: Awaited<ReturnType<typeof buildPushRequest>>;
    try {
      request = await buildPushRequest(item.subscription, item.payload, requestOptions);
    } catch (error) {
      if (error instanceof WebPushError) return { item, result: invalidItem(error) };
      throw error;
    }
    const result = await deliver(request, transport, { ...delivery, signal });
    return { item, result };
  };

  const finish = (used: SendGroup) => {
    running--;
    if (--used.running === 0 && used.started === sendsPerController) groups.delete(used);
  };
  const start = (item: T) => {
    running++;
    if (group === undefined || group.started === sendsPerController) {
      group = { controller: new AbortController(), started: 0, running: 0 };
      if (stopReason !== undefined) group.controller.abort(stopReason.reason);
      groups.add(group);
    }
    const used = group;
    used.started++;
    used.running++;
    sendItem(item, used.controller.signal).then(
      (outcome) => {
        finish(used);
        completed.push(outcome);
        notify();
      },
      (error: unknown) => {
        finish(used);
        failure ??= { error };
        notify();
      },
    );
  };

  let finished = false;
  try {
    for (;;) {
      // Refill once a batch of slots is free (all of them on the first pass): see above.
      const refilling = running <= concurrency - refillBatch;
      while (refilling && !exhausted && running < concurrency && failure === undefined) {
        if (stopReason !== undefined) throw stopReason.reason;
        let next: IteratorResult<T>;
        try {
          next = await iterator.next();
        } catch (error) {
          // An iterator that threw is finished: it must not be asked to return().
          exhausted = true;
          throw error;
        }
        if (next.done) {
          exhausted = true;
          break;
        }
        start(next.value);
      }
      if (failure !== undefined) throw failure.error;
      if (stopReason !== undefined) throw stopReason.reason;
      if (completed.length > 0) {
        // Hand over what is done, then go back to refill the freed slots.
        const batch = completed.splice(0, completed.length);
        for (const outcome of batch) yield outcome;
        continue;
      }
      if (exhausted && running === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    finished = true;
  } finally {
    callerSignal?.removeEventListener('abort', onAbort);
    if (!finished) {
      abortAll(new DOMException('sendMany stopped before all items were sent', 'AbortError'));
      if (!exhausted) await iterator.return?.();
    }
    if (owned) await transport.close();
  }
}
