/**
 * The worker thread of `createParallelBackend`: the key agreements and aes128gcm key schedules
 * of a batch of subscribers at a time (see `agreement-batch.ts`).
 *
 * In: `{ id, inputs }`, N 97-byte inputs back to back.
 * Out: `{ id, results }`, N 126-byte records. Both buffers are transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { deriveBatch } from './agreement-batch.js';

/** The messages the backend posts to a worker. */
export interface AgreementBatch {
  id: number;
  inputs: Uint8Array;
}

/** The messages a worker posts back. */
export interface AgreementResults {
  id: number;
  results: Uint8Array;
}

parentPort?.on('message', async ({ id, inputs }: AgreementBatch) => {
  const results = await deriveBatch(inputs);
  parentPort!.postMessage({ id, results } satisfies AgreementResults, [results.buffer]);
});
