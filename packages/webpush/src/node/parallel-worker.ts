/**
 * The worker thread of `createParallelBackend`: RFC 8291 §3.1's per-message work, a new P-256
 * key pair and one ECDH agreement with the subscriber's key, for a batch of peers at a time.
 *
 * In: `{ id, peers }`, `peers` being N 65-byte uncompressed points back to back.
 * Out: `{ id, results }`, N records of 98 bytes: a status byte (0 done, 1 not a point on the
 * curve), the new public key (65 bytes), the shared secret (32 bytes). Both buffers are
 * transferred, not copied.
 */
import { createECDH } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** Bytes of one peer key in a request batch. */
export const peerLength = 65;
/** Bytes of one result record. */
export const resultLength = 98;

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

const ecdh = createECDH('prime256v1');

/** Computes one batch; exported for the thread below and for tests of the record format. */
export function agreeBatch(peers: Uint8Array): Uint8Array<ArrayBuffer> {
  const count = peers.length / peerLength;
  const results = new Uint8Array(count * resultLength);
  for (let i = 0; i < count; i++) {
    const at = i * resultLength;
    // A new key pair per peer (RFC 8291 §3.1): generateKeys() replaces the object's pair.
    const publicKey = ecdh.generateKeys();
    try {
      // A P-256 shared secret is the 32-byte X coordinate, never shortened.
      results.set(ecdh.computeSecret(peers.subarray(i * peerLength, (i + 1) * peerLength)), at + 66);
      results.set(publicKey, at + 1);
    } catch {
      results[at] = 1;
    }
  }
  return results;
}

parentPort?.on('message', ({ id, peers }: AgreementBatch) => {
  const results = agreeBatch(peers);
  parentPort!.postMessage({ id, results } satisfies AgreementResults, [results.buffer]);
});
