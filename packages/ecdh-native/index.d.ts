/**
 * RFC 8291's per-message work, sender side, for a batch of subscribers: for each 97-byte input
 * in `inputs` (the subscriber's uncompressed P-256 key, 65 bytes; its auth secret, 16; the
 * message's salt, 16), a new P-256 key pair, the ECDH secret with the subscriber's key (§3.1)
 * and the aes128gcm content-encryption key and nonce (§3.4, RFC 8188 §2.2-2.3). Each result is a
 * 126-byte record in `records`: a status byte (0 done, 1 the key is not a point on P-256, 2
 * OpenSSL failed), the new public key (65 bytes), the secret (32), the CEK (16), the nonce (12).
 * Synchronous. `undefined` when the addon was not built; `loadError` then says why.
 *
 * @throws Error `ERR_INVALID_ARG_TYPE` unless both are Uint8Arrays; `ERR_INVALID_ARG_VALUE`
 * unless `inputs` holds whole entries and `records` is 126 bytes for each.
 * @example
 * ```ts
 * import { derive } from '@herald/ecdh-native';
 * const records = new Uint8Array(126);
 * derive?.(Buffer.concat([p256dh, auth, salt]), records);
 * if (records[0] === 0) seal(records.subarray(98, 114), records.subarray(114, 126));
 * ```
 */
export declare const derive: ((inputs: Uint8Array, records: Uint8Array) => void) | undefined;

/** Why the addon did not load, when `derive` is undefined. */
export declare const loadError: unknown;
