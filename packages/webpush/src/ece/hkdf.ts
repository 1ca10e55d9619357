import { concatBytes } from '../bytes.js';
import type { HmacBackend } from '../crypto/backend.js';

/** HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM). */
export function hkdfExtract(backend: HmacBackend, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return backend.hmacSha256(salt, ikm);
}

const one = new Uint8Array([1]);

/**
 * HKDF-Expand (RFC 5869 §2.3) for outputs of at most one SHA-256 block (32 bytes), which is all
 * Web Push needs: T(1) = HMAC-Hash(PRK, info || 0x01), truncated to `length`.
 */
export async function hkdfExpand(
  backend: HmacBackend,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const block = await backend.hmacSha256(prk, concatBytes(info, one));
  return length === block.length ? block : block.subarray(0, length);
}
