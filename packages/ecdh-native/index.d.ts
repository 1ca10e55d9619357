/**
 * RFC 8291 §3.1, sender side, for a batch: for each 65-byte peer key in `peers`, a new P-256 key
 * pair and the ECDH secret with the peer, written to `records` as 98 bytes: a status byte (0
 * done, 1 the peer is not a point on P-256, 2 OpenSSL failed), the new public key (65 bytes,
 * uncompressed), the shared secret (32 bytes, the X coordinate). Synchronous.
 * `undefined` when the addon was not built; `loadError` then says why.
 *
 * @throws TypeError `ERR_INVALID_ARG_TYPE` unless both are Uint8Arrays; `ERR_INVALID_ARG_VALUE`
 * unless `peers` holds whole keys and `records` is 98 bytes for each.
 * @example
 * ```ts
 * import { agree } from '@herald/ecdh-native';
 * const records = new Uint8Array(98);
 * agree?.(subscriberPublicKey, records);
 * if (records[0] === 0) send(records.subarray(1, 66), records.subarray(66));
 * ```
 */
export declare const agree: ((peers: Uint8Array, records: Uint8Array) => void) | undefined;

/** Why the addon did not load, when `agree` is undefined. */
export declare const loadError: unknown;
