/**
 * The legacy `aesgcm` content coding (draft-ietf-webpush-encryption-04 over
 * draft-ietf-httpbis-encryption-encoding-03), still accepted by browsers and sent by old
 * libraries. Keys travel in the `Encryption` (salt, rs) and `Crypto-Key` (dh) headers; each
 * record is `uint16 padding length || zeros || data`.
 */
import { decodeBase64Url } from '../base64url.js';
import { concatBytes, textEncoder } from '../bytes.js';
import type { CryptoBackend } from '../crypto/backend.js';
import { WebPushError } from '../errors.js';
import { type RecordKeys, recordNonce, tagLength } from './aes128gcm.js';
import { hkdfExpand, hkdfExtract } from './hkdf.js';

/** The default record size of draft-ietf-httpbis-encryption-encoding-03 §3.1. */
export const defaultAesgcmRecordSize = 4096;

const authInfo = textEncoder.encode('Content-Encoding: auth\0');
const cekLabel = textEncoder.encode('Content-Encoding: aesgcm\0');
const nonceLabel = textEncoder.encode('Content-Encoding: nonce\0');
const curveLabel = textEncoder.encode('P-256\0');

/** draft-ietf-webpush-encryption-04 §3.2 and encoding-03 §4.2: CEK and nonce for `aesgcm`. */
export async function deriveAesgcmKeys(
  backend: CryptoBackend,
  ecdhSecret: Uint8Array,
  authSecret: Uint8Array,
  salt: Uint8Array,
  uaPublicKey: Uint8Array,
  asPublicKey: Uint8Array,
): Promise<RecordKeys> {
  const authPrk = await hkdfExtract(backend, authSecret, ecdhSecret);
  const ikm = await hkdfExpand(backend, authPrk, authInfo, 32);
  const prk = await hkdfExtract(backend, salt, ikm);
  // context = "P-256" || 0x00 || uint16(65) || ua_public || uint16(65) || as_public
  const context = concatBytes(
    curveLabel,
    new Uint8Array([0, 65]),
    uaPublicKey,
    new Uint8Array([0, 65]),
    asPublicKey,
  );
  const [key, nonce] = await Promise.all([
    hkdfExpand(backend, prk, concatBytes(cekLabel, context), 16),
    hkdfExpand(backend, prk, concatBytes(nonceLabel, context), 12),
  ]);
  return { key, nonce };
}

/** Seals one `aesgcm` record: a two-octet padding length, the padding, then the data. */
export function sealAesgcmRecord(
  backend: CryptoBackend,
  keys: RecordKeys,
  data: Uint8Array,
  padding: number,
): Promise<Uint8Array> {
  const plain = new Uint8Array(2 + padding + data.length);
  plain[0] = padding >> 8;
  plain[1] = padding & 0xff;
  plain.set(data, 2 + padding);
  return backend.aes128GcmSeal(keys.key, keys.nonce, plain);
}

/**
 * Opens every `aesgcm` record (each `recordSize + 16` octets sealed, the last shorter) and
 * returns the data, checking that padding is zero and that the stream is not truncated (a last
 * record that is exactly `recordSize` long means more should follow, encoding-03 §2).
 */
export async function openAesgcmRecords(
  backend: CryptoBackend,
  keys: RecordKeys,
  recordSize: number,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  const chunk = recordSize + tagLength;
  const out: Uint8Array[] = [];
  let sequence = 0;
  for (let offset = 0; offset < sealed.length || sequence === 0; offset += chunk, sequence++) {
    const record = sealed.subarray(offset, Math.min(offset + chunk, sealed.length));
    if (record.length < tagLength + 2) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        `aesgcm record ${sequence} is ${record.length} bytes, too short`,
      );
    }
    const plain = await backend.aes128GcmOpen(keys.key, recordNonce(keys.nonce, sequence), record);
    const padding = (plain[0]! << 8) | plain[1]!;
    if (2 + padding > plain.length) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        `aesgcm record ${sequence} claims ${padding} bytes of padding but holds ${plain.length - 2}`,
      );
    }
    for (let i = 2; i < 2 + padding; i++) {
      if (plain[i] !== 0)
        throw new WebPushError('ERR_DECRYPT_FAILED', `aesgcm record ${sequence} has non-zero padding`);
    }
    const last = offset + chunk >= sealed.length;
    if (last && plain.length === recordSize) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        'aesgcm message is truncated: its last record is a full record',
      );
    }
    out.push(plain.subarray(2 + padding));
  }
  return out.length === 1 ? out[0]! : concatBytes(...out);
}

/**
 * The parameters of the `Encryption` and `Crypto-Key` headers that `aesgcm` decryption needs.
 *
 * @example
 * ```ts
 * const params: AesgcmHeaderParams = parseAesgcmHeaders('salt=DGv6ra1nlYgDCS1FRnbzlw', `dh=${dh}`);
 * ```
 */
export interface AesgcmHeaderParams {
  /** 16-byte salt from `Encryption: salt=...`. */
  salt: Uint8Array;
  /** The sender's ephemeral public key from `Crypto-Key: dh=...`. */
  senderPublicKey: Uint8Array;
  /** `Encryption: rs=...`, default 4096. */
  recordSize: number;
}

/** Parses `a=b;c="d", e=f` into a list of parameter maps (RFC 7230 §3.2.6 tokens and quoted strings). */
function parseParamLists(value: string): Map<string, string>[] {
  return value.split(',').map((entry) => {
    const params = new Map<string, string>();
    for (const part of entry.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      let v = part.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      params.set(part.slice(0, eq).trim().toLowerCase(), v);
    }
    return params;
  });
}

/**
 * Reads the `aesgcm` parameters from the `Encryption` and `Crypto-Key` header values, as a push
 * service or user agent receives them.
 *
 * @example
 * ```ts
 * const { salt, senderPublicKey } = parseAesgcmHeaders(
 *   request.headers.get('encryption')!,
 *   request.headers.get('crypto-key')!,
 * );
 * const plaintext = await decrypt(body, keys, { contentEncoding: 'aesgcm', salt, senderPublicKey });
 * ```
 */
export function parseAesgcmHeaders(encryption: string, cryptoKey: string): AesgcmHeaderParams {
  if (typeof encryption !== 'string' || typeof cryptoKey !== 'string') {
    throw new WebPushError(
      'ERR_INVALID_ENCRYPTION_HEADERS',
      'aesgcm needs both an Encryption header (salt) and a Crypto-Key header (dh)',
    );
  }
  const enc = parseParamLists(encryption).find((p) => p.has('salt'));
  const dh = parseParamLists(cryptoKey).find((p) => p.has('dh'));
  if (!enc)
    throw new WebPushError('ERR_INVALID_ENCRYPTION_HEADERS', 'the Encryption header has no salt parameter');
  if (!dh)
    throw new WebPushError('ERR_INVALID_ENCRYPTION_HEADERS', 'the Crypto-Key header has no dh parameter');
  let salt: Uint8Array;
  let senderPublicKey: Uint8Array;
  try {
    salt = decodeBase64Url(enc.get('salt')!, 'Encryption salt');
    senderPublicKey = decodeBase64Url(dh.get('dh')!, 'Crypto-Key dh');
  } catch (cause) {
    throw new WebPushError('ERR_INVALID_ENCRYPTION_HEADERS', (cause as Error).message, { cause });
  }
  if (salt.length !== 16) {
    throw new WebPushError(
      'ERR_INVALID_ENCRYPTION_HEADERS',
      `Encryption salt must be 16 bytes, got ${salt.length}`,
    );
  }
  const rsText = enc.get('rs');
  const recordSize = rsText === undefined ? defaultAesgcmRecordSize : Number(rsText);
  if (!/^\d{1,10}$/.test(rsText ?? '0') || recordSize < 3 || recordSize > 0xffffffff) {
    throw new WebPushError(
      'ERR_INVALID_ENCRYPTION_HEADERS',
      `Encryption rs must be an integer above 2, got ${rsText}`,
    );
  }
  return { salt, senderPublicKey, recordSize };
}
