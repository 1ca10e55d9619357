/**
 * RFC 8291 §3.1's per-message work, sender side, for a batch of subscribers at a time: a new
 * P-256 key pair and one ECDH agreement with each subscriber's key. The node backend calls it
 * with one key, the parallel backend's threads with a batch.
 *
 * Records are what `@herald/ecdh-native` writes: 98 bytes each, a status byte (0 done, 1 not a
 * point on the curve, 2 OpenSSL failed), the new public key (65 bytes), the shared secret (32
 * bytes). That addon does the agreement at about twice node:crypto's speed (`computeSecret()`
 * re-checks the object's own key pair on every call, which costs as much as the agreement);
 * without it (not built, or `HERALD_NATIVE_ECDH=0`) the same records come from node:crypto.
 */
import { createECDH } from 'node:crypto';
import { createRequire } from 'node:module';
import type { EphemeralAgreement } from '../crypto/backend.js';
import { WebPushError } from '../errors.js';

/** Bytes of one peer key in a batch. */
export const peerLength = 65;
/** Bytes of one result record. */
export const recordLength = 98;

type AgreeInto = (peers: Uint8Array, records: Uint8Array) => void;

function loadNative(): AgreeInto | undefined {
  if (process.env.HERALD_NATIVE_ECDH === '0') return undefined;
  try {
    const addon = createRequire(import.meta.url)('@herald/ecdh-native') as { agree?: AgreeInto };
    return addon.agree;
  } catch {
    // Not installed (it is an optional dependency): node:crypto does the work.
    return undefined;
  }
}

const native = loadNative();

/** Whether the key agreements run on `@herald/ecdh-native` (true) or node:crypto. */
export const nativeAgreement = native !== undefined;

const ecdh = createECDH('prime256v1');

/** The node:crypto implementation of {@link agreeBatch}; exported to test the two against each other. */
export function agreeWithNodeCrypto(peers: Uint8Array, records: Uint8Array): void {
  for (let i = 0; i < peers.length / peerLength; i++) {
    const at = i * recordLength;
    // generateKeys() replaces the object's pair: a new pair per peer (RFC 8291 §3.1) without
    // a new JS and native object each time. The two calls run back to back on one thread.
    const publicKey = ecdh.generateKeys();
    try {
      // A P-256 shared secret is the 32-byte X coordinate, never shortened.
      records.set(ecdh.computeSecret(peers.subarray(i * peerLength, (i + 1) * peerLength)), at + 66);
      records.set(publicKey, at + 1);
      records[at] = 0;
    } catch {
      records[at] = 1;
    }
  }
}

/** Agrees a secret with each of the 65-byte keys in `peers`; returns their records. */
export function agreeBatch(peers: Uint8Array): Uint8Array<ArrayBuffer> {
  const records = new Uint8Array((peers.length / peerLength) * recordLength);
  (native ?? agreeWithNodeCrypto)(peers, records);
  return records;
}

/**
 * The agreement in record `index` of `records`, as views into it.
 *
 * @throws WebPushError `ERR_INVALID_KEY` when that peer key was not a point on P-256.
 */
export function readAgreement(records: Uint8Array, index: number): EphemeralAgreement {
  const at = index * recordLength;
  const status = records[at];
  if (status === 0) {
    return {
      publicKey: records.subarray(at + 1, at + 66),
      secret: records.subarray(at + 66, at + recordLength),
    };
  }
  if (status === 1) throw new WebPushError('ERR_INVALID_KEY', 'public key is not a point on the P-256 curve');
  throw new Error(`the key agreement failed inside OpenSSL (status ${status})`);
}
