import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CryptoBackend } from '../crypto/backend.js';
import { assertUncompressedPoint } from '../crypto/key-checks.js';
import { WebPushError } from '../errors.js';
import { checkSecrets, inputLength, readAgreement, readKeys, writeInput } from './agreement-batch.js';
import { backend as nodeBackend } from './node-backend.js';
import type { AgreementBatch, AgreementResults } from './parallel-worker.js';

/**
 * Options of {@link createParallelBackend}.
 *
 * @example
 * ```ts
 * const options: ParallelBackendOptions = { threads: 2, batchSize: 64 };
 * ```
 */
export interface ParallelBackendOptions {
  /**
   * Worker threads doing the key agreements. Default `os.availableParallelism() - 1` (at least
   * 1): the calling thread keeps a core for the I/O and the rest of each request.
   */
  threads?: number;
  /**
   * The most agreements posted to a worker in one message. While the workers are busy, jobs
   * accumulate into batches up to this size (one message each way per batch). Default 64.
   */
  batchSize?: number;
}

/**
 * A `node:crypto` backend whose per-message work runs on worker threads; see
 * {@link createParallelBackend}.
 *
 * @example
 * ```ts
 * const backend: ParallelBackend = createParallelBackend();
 * console.log(backend.threads);
 * await backend.close();
 * ```
 */
export interface ParallelBackend extends CryptoBackend {
  /** How many worker threads do the agreements. */
  readonly threads: number;
  /**
   * Waits for the agreements in flight, then stops the threads. Later agreements reject with
   * `ERR_BACKEND_CLOSED`; the other primitives keep working on the calling thread.
   */
  close(): Promise<void>;
}

interface Job {
  /** The job's input, written into its batch when that is posted (checked already). */
  peer: Uint8Array;
  auth: Uint8Array | undefined;
  salt: Uint8Array | undefined;
  /** Turns the job's record into its result, or throws the key's error. */
  read(records: Uint8Array, index: number): unknown;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  /** Batches posted and not answered yet, by id. */
  batches: Map<number, Job[]>;
  /** Jobs in those batches: the least loaded thread gets the next batch. */
  load: number;
}

function checkCount(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be an integer from 1 to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Creates a crypto backend that spreads the CPU-bound part of building push requests over
 * worker threads, to use every core for large sends on Node. Each message's new key pair and
 * ECDH agreement (RFC 8291 §3.1: about 70% of `buildPushRequest`'s CPU time) runs on a worker;
 * everything else stays on the calling thread and is unchanged: validation, HKDF and AES-GCM
 * (microseconds), the cached VAPID JWT, and all I/O through the transport. Agreements requested
 * in the same turn of the event loop travel to a worker together, so a batch costs one message
 * each way.
 *
 * Pass it as `backend` to `sendMany` (or `buildPushRequest`, `sendNotification`) with enough
 * sends in flight to keep the workers busy (`concurrency`, default 64). Idle workers do not
 * keep the process alive; close the backend when done.
 *
 * @throws WebPushError `ERR_INVALID_ARGUMENT` when `threads` or `batchSize` is not a positive
 * integer.
 * @example
 * ```ts
 * import { sendMany } from '@herald/webpush';
 * import { createParallelBackend } from '@herald/webpush/node';
 *
 * const backend = createParallelBackend({ threads: 2 });
 * try {
 *   for await (const { item, result } of sendMany(items, { vapid, backend })) {
 *     if (result.kind === 'gone') await store.remove(item.id);
 *   }
 * } finally {
 *   await backend.close();
 * }
 * ```
 */
export function createParallelBackend(options?: ParallelBackendOptions): ParallelBackend {
  // The calling thread stays busy with I/O, validation, HKDF and AES-GCM: leave it a core.
  const threadCount = checkCount(
    'threads',
    options?.threads ?? Math.max(1, availableParallelism() - 1),
    1024,
  );
  const batchSize = checkCount('batchSize', options?.batchSize ?? 64, 65_536);
  // One batch computing, one waiting: a worker never idles for a round trip.
  const batchesPerThread = 2;
  const threads: Thread[] = [];
  let queue: Job[] = [];
  let flushScheduled = false;
  let nextBatchId = 0;
  let closed = false;
  let broken: unknown;
  let idle: (() => void) | undefined;
  const quiet = () => queue.length === 0 && threads.every((t) => t.load === 0);

  const fail = (thread: Thread, error: unknown) => {
    threads.splice(threads.indexOf(thread), 1);
    for (const jobs of thread.batches.values()) for (const job of jobs) job.reject(error);
    thread.batches.clear();
    void thread.worker.terminate();
    if (threads.length === 0) {
      broken = error;
      for (const job of queue) job.reject(error);
      queue = [];
    } else if (queue.length > 0) flush();
    if (closed && quiet()) idle?.();
  };

  const settle = (thread: Thread, { id, results }: AgreementResults) => {
    const jobs = thread.batches.get(id)!;
    thread.batches.delete(id);
    thread.load -= jobs.length;
    // An idle worker must not keep the process alive; one with work must.
    if (thread.load === 0) thread.worker.unref();
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      try {
        job.resolve(job.read(results, i));
      } catch (error) {
        job.reject(error);
      }
    }
    if (queue.length > 0) flush();
    if (closed && quiet()) idle?.();
  };

  const spawn = (): Thread => {
    const worker = new Worker(new URL('./parallel-worker.js', import.meta.url));
    const thread: Thread = { worker, batches: new Map(), load: 0 };
    worker.on('message', (message: AgreementResults) => settle(thread, message));
    worker.on('error', (error) => fail(thread, error));
    worker.on('exit', (code) => {
      if (threads.includes(thread))
        fail(thread, new Error(`a parallel backend worker exited with code ${code}`));
    });
    // Only now: adding a 'message' listener refs the worker again.
    worker.unref();
    return thread;
  };

  // Posting a message costs tens of microseconds whatever its size, so jobs wait in `queue`
  // while every worker already has `batchesPerThread` batches: the busier the workers, the
  // larger the next batches, and an idle worker still gets a job at once.
  const flush = () => {
    flushScheduled = false;
    while (queue.length > 0) {
      const free = threads.filter((t) => t.batches.size < batchesPerThread);
      if (free.length === 0) return;
      let thread = free[0]!;
      for (const t of free) if (t.load < thread.load) thread = t;
      // Share what is queued among the free workers rather than handing it all to one.
      const take = Math.min(batchSize, Math.ceil(queue.length / free.length));
      const jobs = queue.length === take ? queue : queue.slice(0, take);
      queue = queue.length === take ? [] : queue.slice(take);
      const inputs = new Uint8Array(jobs.length * inputLength);
      for (let i = 0; i < jobs.length; i++) {
        const { peer, auth, salt } = jobs[i]!;
        writeInput(inputs, i, peer, auth, salt);
      }
      const id = nextBatchId++;
      thread.batches.set(id, jobs);
      if (thread.load === 0) thread.worker.ref();
      thread.load += jobs.length;
      thread.worker.postMessage({ id, inputs } satisfies AgreementBatch, [inputs.buffer]);
    }
  };

  /** Queues one job; `read` turns its record into the result (or throws the key's error). */
  const submit = <T>(
    peer: Uint8Array,
    auth: Uint8Array | undefined,
    salt: Uint8Array | undefined,
    read: (records: Uint8Array, index: number) => T,
  ): Promise<T> => {
    try {
      if (closed) {
        throw new WebPushError('ERR_BACKEND_CLOSED', 'the parallel backend is closed: create a new one');
      }
      if (broken !== undefined) throw broken;
      assertUncompressedPoint(peer);
      checkSecrets(auth, salt);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      queue.push({ peer, auth, salt, read, resolve: resolve as (result: unknown) => void, reject });
      if (queue.length >= batchSize) flush();
      else if (!flushScheduled) {
        // setImmediate runs after the I/O callbacks of this loop turn: every send they
        // started joins the same batch.
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  };

  for (let i = 0; i < threadCount; i++) threads.push(spawn());

  return {
    ...nodeBackend,
    threads: threadCount,

    ephemeralAgreement(peerPublicKey) {
      return submit(peerPublicKey, undefined, undefined, readAgreement);
    },

    aes128gcmKeys(peerPublicKey, authSecret, salt) {
      return submit(peerPublicKey, authSecret, salt, readKeys);
    },

    async close() {
      if (closed) return;
      closed = true;
      flush();
      if (!quiet()) await new Promise<void>((resolve) => (idle = resolve));
      const stopping = threads.splice(0, threads.length);
      await Promise.all(stopping.map((t) => t.worker.terminate()));
    },
  };
}
