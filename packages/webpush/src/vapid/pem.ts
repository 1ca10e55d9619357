import { decodeBase64Url, encodeBase64Url } from '../base64url.js';
import { WebPushError } from '../errors.js';

/**
 * PEM armor (RFC 7468) around DER, without `node:*` so it runs on every runtime. Strict: each
 * block needs matching `BEGIN`/`END` labels, a body of standard base64 (RFC 7468 §3), and only
 * whitespace between blocks. Every failure is `ERR_INVALID_KEY`. Internal.
 */

/** One PEM block: its label (e.g. `PRIVATE KEY`) and the decoded DER. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

// Keys are a few hundred bytes; a cap bounds the work on hostile input.
const maxPemLength = 16_384;
const beginLine = /^-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const base64Line = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(detail: string, cause?: unknown): never {
  throw new WebPushError('ERR_INVALID_KEY', `PEM ${detail}`, cause === undefined ? undefined : { cause });
}

/** Parses every block of a PEM text. */
export function parsePem(text: unknown): PemBlock[] {
  if (typeof text !== 'string') invalid(`must be a string, got ${typeof text}`);
  if (text.length > maxPemLength)
    invalid(`is ${text.length} characters long, over the ${maxPemLength} allowed`);
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!.trim();
    i++;
    if (line === '') continue;
    const begin = beginLine.exec(line);
    if (!begin) invalid(`expected a "-----BEGIN ...-----" line, got ${JSON.stringify(line.slice(0, 40))}`);
    const label = begin[1]!;
    if (label === 'ENCRYPTED PRIVATE KEY') {
      invalid('holds an encrypted private key; decrypt it first (openssl pkcs8 -in key.pem -nocrypt)');
    }
    const end = `-----END ${label}-----`;
    let body = '';
    for (;;) {
      if (i >= lines.length) invalid(`block "${label}" has no "${end}" line`);
      const bodyLine = lines[i]!.trim();
      i++;
      if (bodyLine === end) break;
      if (bodyLine.startsWith('-----')) {
        invalid(`block "${label}" ends with ${JSON.stringify(bodyLine.slice(0, 60))}, expected "${end}"`);
      }
      if (bodyLine.includes(':')) {
        invalid(
          `block "${label}" has headers (an encrypted legacy key?); only unencrypted keys are supported`,
        );
      }
      if (!base64Line.test(bodyLine)) invalid(`block "${label}" has a line that is not base64`);
      body += bodyLine;
    }
    blocks.push({ label, der: decodeBase64(body, label) });
  }
  if (blocks.length === 0) invalid('text holds no "-----BEGIN ...-----" block');
  return blocks;
}

function decodeBase64(body: string, label: string): Uint8Array {
  // RFC 7468 §3: padded base64 (RFC 4648 §4); '=' only as the last one or two characters.
  const firstPad = body.indexOf('=');
  if (body.length === 0 || body.length % 4 !== 0 || (firstPad !== -1 && firstPad < body.length - 2)) {
    invalid(`block "${label}" is not correctly padded base64`);
  }
  try {
    return decodeBase64Url(body.replace(/\+/g, '-').replace(/\//g, '_'), `PEM block "${label}"`);
  } catch (cause) {
    invalid(`block "${label}" is not base64`, cause);
  }
}

/** Wraps DER in a PEM block with 64-character lines and a final newline, as OpenSSL writes it. */
export function encodePem(label: string, der: Uint8Array): string {
  let base64 = encodeBase64Url(der).replace(/-/g, '+').replace(/_/g, '/');
  base64 += '='.repeat((4 - (base64.length % 4)) % 4);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < base64.length; i += 64) out += `${base64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}
