/**
 * The `aes128gcm` content coding of RFC 8188: a header (salt, record size, key id) followed by
 * AES-128-GCM records, each ending in a delimiter octet and optional zero padding.
 */
import { concatBytes, textEncoder } from '../bytes.js';
import type { CryptoBackend, HmacBackend } from '../crypto/backend.js';
import { WebPushError } from '../errors.js';
import { hkdfExpand, hkdfExtract } from './hkdf.js';

/** The size of the 16-byte AES-GCM tag every record carries (RFC 8188 §2). */
export const tagLength = 16;
/** RFC 8188 §2.1: salt (16) + rs (4) + idlen (1). */
export const fixedHeaderLength = 21;

const cekInfo = textEncoder.encode('Content-Encoding: aes128gcm\0');
const nonceInfo = textEncoder.encode('Content-Encoding: nonce\0');

/** The content-encryption key and base nonce of RFC 8188 §2.2 and §2.3. */
export interface RecordKeys {
  key: Uint8Array;
  nonce: Uint8Array;
}

/** RFC 8188 §2.2-2.3: CEK and NONCE from the input keying material and the salt. */
export async function deriveRecordKeys(
  backend: HmacBackend,
  ikm: Uint8Array,
  salt: Uint8Array,
): Promise<RecordKeys> {
  const prk = await hkdfExtract(backend, salt, ikm);
  const [key, nonce] = await Promise.all([
    hkdfExpand(backend, prk, cekInfo, 16),
    hkdfExpand(backend, prk, nonceInfo, 12),
  ]);
  return { key, nonce };
}

/** RFC 8188 §2.3: the nonce of record SEQ is NONCE XOR SEQ (SEQ as a 96-bit big-endian integer). */
export function recordNonce(base: Uint8Array, sequence: number): Uint8Array {
  if (sequence === 0) return base;
  const nonce = Uint8Array.from(base);
  // Records are counted far below 2^32, so only the last four octets change.
  for (let i = 0; i < 4; i++) nonce[11 - i]! ^= (sequence >>> (8 * i)) & 0xff;
  return nonce;
}

/** One record to seal: its data and how many zero octets of padding follow the delimiter. */
export interface PlainRecord {
  data: Uint8Array;
  padding: number;
}

/** The header fields of RFC 8188 §2.1. */
export interface Aes128gcmHeader {
  salt: Uint8Array;
  recordSize: number;
  keyId: Uint8Array;
}

/** Writes the RFC 8188 §2.1 header. */
export function encodeHeader({ salt, recordSize, keyId }: Aes128gcmHeader): Uint8Array {
  const header = new Uint8Array(fixedHeaderLength + keyId.length);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(16, recordSize);
  header[20] = keyId.length;
  header.set(keyId, fixedHeaderLength);
  return header;
}

/** Reads the RFC 8188 §2.1 header; throws `ERR_DECRYPT_FAILED` when it is truncated or invalid. */
export function decodeHeader(body: Uint8Array): Aes128gcmHeader & { length: number } {
  if (body.length < fixedHeaderLength) {
    throw new WebPushError(
      'ERR_DECRYPT_FAILED',
      `aes128gcm body must start with a ${fixedHeaderLength}-byte header, got ${body.length} bytes`,
    );
  }
  const recordSize = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(16);
  const idLength = body[20]!;
  const length = fixedHeaderLength + idLength;
  if (body.length < length) {
    throw new WebPushError(
      'ERR_DECRYPT_FAILED',
      `aes128gcm header names a ${idLength}-byte key id, but the body ends first`,
    );
  }
  // RFC 8188 §2: rs smaller than 18 is invalid (a record must hold the tag and a delimiter).
  if (recordSize < tagLength + 2) {
    throw new WebPushError(
      'ERR_DECRYPT_FAILED',
      `aes128gcm record size must be at least 18, got ${recordSize}`,
    );
  }
  return { salt: body.subarray(0, 16), recordSize, keyId: body.subarray(fixedHeaderLength, length), length };
}

/**
 * Seals records under RFC 8188 §2: each record is `data || delimiter || zeros`, with delimiter
 * 0x02 on the last record and 0x01 on the others, and every sealed record but the last exactly
 * `recordSize` octets long.
 */
export async function sealRecords(
  backend: CryptoBackend,
  keys: RecordKeys,
  header: Aes128gcmHeader,
  records: readonly PlainRecord[],
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [encodeHeader(header)];
  for (let i = 0; i < records.length; i++) {
    const { data, padding } = records[i]!;
    const last = i === records.length - 1;
    const sealedLength = data.length + 1 + padding + tagLength;
    if (sealedLength > header.recordSize || (!last && sealedLength !== header.recordSize)) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `record ${i} would be ${sealedLength} bytes sealed, but the record size is ${header.recordSize}`,
      );
    }
    const plain = new Uint8Array(data.length + 1 + padding);
    plain.set(data);
    plain[data.length] = last ? 2 : 1;
    parts.push(await backend.aes128GcmSeal(keys.key, recordNonce(keys.nonce, i), plain));
  }
  return parts.length === 2 ? concatBytes(parts[0]!, parts[1]!) : concatBytes(...parts);
}

/**
 * Opens every record after the header and returns the concatenated data, checking delimiters
 * and padding as RFC 8188 §2 requires (a receiver must reject a last record without 0x02, a
 * non-last record without 0x01, and padding that is not all zeros).
 */
export async function openRecords(
  backend: CryptoBackend,
  keys: RecordKeys,
  recordSize: number,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (sealed.length === 0) {
    throw new WebPushError('ERR_DECRYPT_FAILED', 'aes128gcm body has a header but no records');
  }
  const out: Uint8Array[] = [];
  let sequence = 0;
  for (let offset = 0; offset < sealed.length; offset += recordSize, sequence++) {
    const record = sealed.subarray(offset, Math.min(offset + recordSize, sealed.length));
    const last = offset + recordSize >= sealed.length;
    if (record.length <= tagLength) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        `aes128gcm record ${sequence} is ${record.length} bytes, too short`,
      );
    }
    const plain = await backend.aes128GcmOpen(keys.key, recordNonce(keys.nonce, sequence), record);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    const delimiter = end >= 0 ? plain[end] : undefined;
    if (delimiter !== (last ? 2 : 1)) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        `aes128gcm record ${sequence} must end with delimiter ${last ? '0x02 (last record)' : '0x01'}, got ${
          delimiter === undefined ? 'only padding' : `0x${delimiter.toString(16).padStart(2, '0')}`
        }`,
      );
    }
    out.push(plain.subarray(0, end));
  }
  return out.length === 1 ? out[0]! : concatBytes(...out);
}

/**
 * Decodes a whole RFC 8188 `aes128gcm` body given its input keying material. Used for the
 * RFC 8188 §3 examples; Web Push decryption derives the IKM first (see `decrypt`).
 *
 * @example
 * ```ts
 * const body = decodeBase64Url('I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg');
 * const text = await decodeAes128gcm(defaultBackend, body, decodeBase64Url('yqdlZ-tYemfogSmv7Ws5PQ'));
 * new TextDecoder().decode(text); // 'I am the walrus' (RFC 8188 §3.1)
 * ```
 */
export async function decodeAes128gcm(
  backend: CryptoBackend,
  body: Uint8Array,
  ikm: Uint8Array,
): Promise<Uint8Array> {
  const header = decodeHeader(body);
  const keys = await deriveRecordKeys(backend, ikm, header.salt);
  return openRecords(backend, keys, header.recordSize, body.subarray(header.length));
}
