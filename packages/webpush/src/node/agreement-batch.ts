/**
 * RFC 8291's per-message work, sender side, for a batch of subscribers at a time: a new P-256
 * key pair, one ECDH agreement with each subscriber's key (§3.1), and the aes128gcm key
 * schedule from that secret, the subscriber's auth secret and the message's salt (§3.4, RFC
 * 8188 §2.2-2.3). The node backend calls it with one subscriber, the parallel backend's threads
 * with a batch.
 *
 * Inputs are 97 bytes each: the subscriber's key (65), auth secret (16) and the salt (16).
 * Records are 126 bytes: a status byte (0 done, 1 not a point on the curve, 2 OpenSSL failed),
 * the new public key (65), the shared secret (32), the CEK (16) and the nonce (12). That is what
 * `@herald/ecdh-native` writes, at about twice node:crypto's speed (`computeSecret()` re-checks
 * the object's own key pair on every call, which costs as much as the agreement); without it
 * (not built, or `HERALD_NATIVE_ECDH=0`) node:crypto writes the same records.
 */
import { createECDH, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Aes128gcmKeys, EphemeralAgreement, HmacBackend } from '../crypto/backend.js';
import { assertUncompressedPoint } from '../crypto/key-checks.js';
import { deriveRecordKeys } from '../ece/aes128gcm.js';
import { webPushIkm } from '../ece/rfc8291.js';
import { WebPushError } from '../errors.js';

/** Bytes of one input: subscriber key, auth secret, salt. */
export const inputLength = 97;
/** Bytes of one record. */
export const recordLength = 126;

type DeriveInto = (inputs: Uint8Array, records: Uint8Array) => void;

function loadNative(): DeriveInto | undefined {
  if (process.env.HERALD_NATIVE_ECDH === '0') return undefined;
  try {
    const addon = createRequire(import.meta.url)('@herald/ecdh-native') as { derive?: DeriveInto };
    return addon.derive;
  } catch {
    // Not installed (it is an optional dependency): node:crypto does the work.
    return undefined;
  }
}

const native = loadNative();

/**
 * Whether this process does its key agreements and key schedules on `@herald/ecdh-native`
 * (true) or on node:crypto (false: the addon was not built, or `HERALD_NATIVE_ECDH=0`).
 *
 * @example
 * ```ts
 * import { nativeAgreement } from '@herald/webpush/node';
 * if (!nativeAgreement) console.warn('key agreements on node:crypto: about half the speed');
 * ```
 */
export const nativeAgreement = native !== undefined;

const ecdh = createECDH('prime256v1');
const hmac: HmacBackend = {
  hmacSha256: async (key, data) => createHmac('sha256', key).update(data).digest(),
};

/** The node:crypto implementation of {@link deriveBatch}; exported to test the two against each other. */
export async function deriveWithNodeCrypto(inputs: Uint8Array, records: Uint8Array): Promise<void> {
  for (let i = 0; i < inputs.length / inputLength; i++) {
    const input = inputs.subarray(i * inputLength, (i + 1) * inputLength);
    const record = records.subarray(i * recordLength, (i + 1) * recordLength);
    const peer = input.subarray(0, 65);
    // generateKeys() replaces the object's pair: a new pair per peer (RFC 8291 §3.1) without a
    // new JS and native object each time. The two calls run back to back, before any await.
    const publicKey = ecdh.generateKeys();
    let secret: Buffer;
    try {
      secret = ecdh.computeSecret(peer);
    } catch {
      record[0] = 1;
      continue;
    }
    const ikm = await webPushIkm(hmac, secret, input.subarray(65, 81), peer, publicKey);
    const { key, nonce } = await deriveRecordKeys(hmac, ikm, input.subarray(81));
    record[0] = 0;
    record.set(publicKey, 1);
    record.set(secret, 66);
    record.set(key, 98);
    record.set(nonce, 114);
  }
}

/** Derives the records of `inputs` (N entries of {@link inputLength} bytes). */
export async function deriveBatch(inputs: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const records = new Uint8Array((inputs.length / inputLength) * recordLength);
  if (native) native(inputs, records);
  else await deriveWithNodeCrypto(inputs, records);
  return records;
}

function check16(name: string, value: Uint8Array | undefined): void {
  if (value !== undefined && (!(value instanceof Uint8Array) || value.length !== 16)) {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be 16 bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`,
    );
  }
}

/**
 * Checks what {@link writeInput} will be given besides the peer key (which the caller checks).
 *
 * @throws WebPushError `ERR_INVALID_ARGUMENT` when `auth` or `salt` is not 16 bytes.
 */
export function checkSecrets(auth: Uint8Array | undefined, salt: Uint8Array | undefined): void {
  check16('the auth secret', auth);
  check16('the salt', salt);
}

/**
 * Writes input `index`: `peer`, then `auth` and `salt` (zeros when only the agreement is
 * wanted). All three must have been checked.
 */
export function writeInput(
  inputs: Uint8Array,
  index: number,
  peer: Uint8Array,
  auth?: Uint8Array,
  salt?: Uint8Array,
): void {
  const at = index * inputLength;
  inputs.set(peer, at);
  if (auth) inputs.set(auth, at + 65);
  if (salt) inputs.set(salt, at + 81);
}

/**
 * Record `index` of `records`, as views into it.
 *
 * @throws WebPushError `ERR_INVALID_KEY` when that subscriber key was not a point on P-256.
 */
export function readRecord(records: Uint8Array, index: number): EphemeralAgreement & Aes128gcmKeys {
  const at = index * recordLength;
  const status = records[at];
  if (status === 0) {
    return {
      publicKey: records.subarray(at + 1, at + 66),
      secret: records.subarray(at + 66, at + 98),
      key: records.subarray(at + 98, at + 114),
      nonce: records.subarray(at + 114, at + recordLength),
    };
  }
  if (status === 1) throw new WebPushError('ERR_INVALID_KEY', 'public key is not a point on the P-256 curve');
  throw new Error(`the key agreement failed inside OpenSSL (status ${status})`);
}

/** Record `index` as an agreement: the new public key and the secret. */
export function readAgreement(records: Uint8Array, index: number): EphemeralAgreement {
  const { publicKey, secret } = readRecord(records, index);
  return { publicKey, secret };
}

/** Record `index` as aes128gcm keys: the new public key, the CEK and the nonce. */
export function readKeys(records: Uint8Array, index: number): Aes128gcmKeys {
  const { publicKey, key, nonce } = readRecord(records, index);
  return { publicKey, key, nonce };
}

/**
 * Checks one input and derives its record, on the calling thread (`auth` and `salt` left out
 * when only the agreement is wanted).
 *
 * @throws WebPushError `ERR_INVALID_KEY` for a peer that is not an uncompressed point,
 * `ERR_INVALID_ARGUMENT` for an auth secret or salt that is not 16 bytes.
 */
export function deriveOne(peer: Uint8Array, auth?: Uint8Array, salt?: Uint8Array): Promise<Uint8Array> {
  assertUncompressedPoint(peer);
  checkSecrets(auth, salt);
  const input = new Uint8Array(inputLength);
  writeInput(input, 0, peer, auth, salt);
  return deriveBatch(input);
}
