/**
 * The worker thread of `createParallelBackend`: the key agreements of a batch of peers at a
 * time (see `agreement-batch.ts`).
 *
 * In: `{ id, peers }`, `peers` being N 65-byte uncompressed points back to back.
 * Out: `{ id, results }`, N 98-byte records. Both buffers are transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { agreeBatch } from './agreement-batch.js';

/** The messages the backend posts to a worker. */
export interface AgreementBatch {
  id: number;
  peers: Uint8Array;
}

/** The messages a worker posts back. */
export interface AgreementResults {
  id: number;
  results: Uint8Array;
}

parentPort?.on('message', ({ id, peers }: AgreementBatch) => {
  const results = agreeBatch(peers);
  parentPort!.postMessage({ id, results } satisfies AgreementResults, [results.buffer]);
});
