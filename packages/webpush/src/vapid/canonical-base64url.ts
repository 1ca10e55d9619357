import { decodeBase64Url } from '../base64url.js';
import { WebPushError, type WebPushErrorCode } from '../errors.js';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Decodes base64url that must be in its one canonical form: no `=` padding and zero unused bits
 * in the last character (RFC 4648 §3.5). JWS (RFC 7515 §2) forbids padding; requiring zero spare
 * bits means two different strings never decode to the same bytes, so a JWT altered in those bits
 * is a different token that fails, not a second valid spelling of the same one. Internal.
 */
export function decodeCanonicalBase64Url(
  text: string,
  what: string,
  code: WebPushErrorCode = 'ERR_INVALID_BASE64URL',
): Uint8Array {
  if (typeof text !== 'string') {
    throw new WebPushError(code, `${what} must be a base64url string, got ${typeof text}`);
  }
  let bytes: Uint8Array;
  try {
    if (text.includes('=')) throw new Error('padding');
    bytes = decodeBase64Url(text, what);
  } catch (cause) {
    throw new WebPushError(code, `${what} is not unpadded base64url`, { cause });
  }
  const spareBits = (text.length * 6) % 8;
  if (spareBits !== 0 && (alphabet.indexOf(text[text.length - 1]!) & ((1 << spareBits) - 1)) !== 0) {
    throw new WebPushError(
      code,
      `${what} is not canonical base64url: its last character has unused bits set`,
    );
  }
  return bytes;
}
