import { WebPushError } from '../errors.js';

/**
 * A small, strict DER (ITU-T X.690 §10) reader and writer for the handful of P-256 key
 * structures VAPID keys come in. It accepts only what DER allows: single-byte tags, definite
 * lengths in their shortest form, and no bytes left over. Every failure is `ERR_INVALID_KEY`.
 * Internal.
 */

export const tag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  sequence: 0x30,
  context0: 0xa0,
  context1: 0xa1,
} as const;

/** One decoded element: its tag and a view of its contents. */
export interface DerElement {
  tag: number;
  content: Uint8Array;
}

function fail(what: string, detail: string): never {
  throw new WebPushError('ERR_INVALID_KEY', `${what} is not valid DER: ${detail}`);
}

/** Reads consecutive elements from `bytes`. */
export class DerReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.offset];
  }

  /** Reads the next element, which must carry `expected` as its tag. */
  read(expected: number, name: string): DerElement {
    const { bytes, what } = this;
    if (this.offset + 2 > bytes.length) fail(what, `${name} is truncated`);
    const t = bytes[this.offset]!;
    if (t !== expected) {
      fail(what, `expected ${name} (tag 0x${hex(expected)}), got tag 0x${hex(t)} at byte ${this.offset}`);
    }
    let length = bytes[this.offset + 1]!;
    let start = this.offset + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      // Keys here are under 256 bytes; two length bytes are more than enough and bound the work.
      if (count === 0 || count > 2) fail(what, `${name} has an unsupported length encoding`);
      if (start + count > bytes.length) fail(what, `${name} length is truncated`);
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | bytes[start + i]!;
      if (length < 0x80 || (count === 2 && length < 0x100)) {
        fail(what, `${name} length is not in its shortest form`);
      }
      start += count;
    }
    const end = start + length;
    if (end > bytes.length) fail(what, `${name} claims ${length} bytes, only ${bytes.length - start} remain`);
    this.offset = end;
    return { tag: t, content: bytes.subarray(start, end) };
  }

  /** Throws unless every byte has been read. */
  end(name: string): void {
    if (!this.done) fail(this.what, `${bytes(this.bytes.length - this.offset)} left over after ${name}`);
  }
}

function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Encodes one element. */
export function derEncode(t: number, ...contents: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  const header =
    length < 0x80 ? [t, length] : length < 0x100 ? [t, 0x81, length] : [t, 0x82, length >> 8, length & 0xff];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const c of contents) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** True when two byte arrays are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
