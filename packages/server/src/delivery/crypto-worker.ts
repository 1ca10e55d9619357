import { parentPort } from 'node:worker_threads';
import { type BuildContext, type BuildItem, buildRequests } from './build-requests.js';

/** A job the pool posts: build `items` in `context`, answer with the same `id`. */
export interface CryptoJob {
  id: number;
  context: BuildContext;
  items: BuildItem[];
}

// The thread side of `CryptoPool`: builds each job and posts the results back. Request bodies
// are small (<= 4096 bytes), so structured cloning them costs less than collecting transfer lists.
parentPort?.on('message', (job: CryptoJob) => {
  buildRequests(job.context, job.items).then(
    (results) => parentPort!.postMessage({ id: job.id, results }),
    (error: unknown) =>
      parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
