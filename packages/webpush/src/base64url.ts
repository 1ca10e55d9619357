import { WebPushError } from './errors.js';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const decodeTable = new Int16Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) decodeTable[alphabet.charCodeAt(i)] = i;

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5), the form every Web Push key,
 * salt and JWT part uses.
 *
 * @example
 * ```ts
 * encodeBase64Url(new Uint8Array([251, 255])); // '-_8'
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes base64url (RFC 4648 §5). Trailing `=` padding is accepted, since Firefox sends keys
 * padded; any other character outside the base64url alphabet, or an impossible length, throws
 * `ERR_INVALID_BASE64URL`.
 *
 * @param what - names the value in the error message, e.g. `'keys.p256dh'`.
 * @example
 * ```ts
 * decodeBase64Url('-_8'); // Uint8Array [251, 255]
 * ```
 */
export function decodeBase64Url(text: string, what = 'value'): Uint8Array {
  if (typeof text !== 'string') {
    throw new WebPushError('ERR_INVALID_BASE64URL', `${what} must be a base64url string, got ${typeof text}`);
  }
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */ && text.length - end < 2) end--;
  if (end % 4 === 1) {
    throw new WebPushError(
      'ERR_INVALID_BASE64URL',
      `${what} is not valid base64url: ${end} characters is not a possible length`,
    );
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? decodeTable[c]! : -1;
    if (v < 0) {
      throw new WebPushError(
        'ERR_INVALID_BASE64URL',
        `${what} is not valid base64url: unexpected character ${JSON.stringify(text[i])} at position ${i}`,
      );
    }
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}
