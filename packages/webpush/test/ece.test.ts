import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { concatBytes } from '../src/bytes.js';
import { decodeAes128gcm, deriveRecordKeys, encodeHeader } from '../src/ece/aes128gcm.js';
import { parseAesgcmHeaders } from '../src/ece/aesgcm.js';
import { decrypt } from '../src/ece/decrypt.js';
import { type ContentEncoding, encrypt, encryptedSize, maxPayloadLength } from '../src/ece/encrypt.js';
import { WebPushError } from '../src/errors.js';
import { backends } from './backends.js';

const encodings: ContentEncoding[] = ['aes128gcm', 'aesgcm'];

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  async function receiver() {
    const keyPair = await backend.generateKeyPair();
    const auth = backend.randomBytes(16);
    return { keyPair, auth, keys: { p256dh: keyPair.publicKey, auth } };
  }

  test.each(encodings)(
    '%s: encrypt then decrypt round trips any payload size and padding that fits',
    async (encoding) => {
      const ua = await receiver();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: maxPayloadLength({ contentEncoding: encoding }) }),
          fc.integer({ min: 0, max: 300 }),
          async (length, padding) => {
            const payload = backend.randomBytes(length);
            const fits = encryptedSize(length, { contentEncoding: encoding, padding }) <= 4096;
            if (!fits) {
              await expect(
                encrypt(payload, ua.keys, { contentEncoding: encoding, padding, backend }),
              ).rejects.toMatchObject({
                code: 'ERR_PAYLOAD_TOO_LARGE',
              });
              return;
            }
            const encrypted = await encrypt(payload, ua.keys, {
              contentEncoding: encoding,
              padding,
              backend,
            });
            expect(encrypted.body.length).toBe(encryptedSize(length, { contentEncoding: encoding, padding }));
            const params =
              encoding === 'aes128gcm'
                ? ({ contentEncoding: 'aes128gcm' } as const)
                : {
                    contentEncoding: 'aesgcm' as const,
                    ...parseAesgcmHeaders(encrypted.headers.encryption!, encrypted.headers['crypto-key']!),
                  };
            expect(await decrypt(encrypted.body, ua, params, backend)).toEqual(payload);
          },
        ),
        { numRuns: 40 },
      );
    },
  );

  test('every message gets a new salt and a new ephemeral key (RFC 8291 §3.1)', async () => {
    const ua = await receiver();
    const a = await encrypt('same', ua.keys, { backend });
    const b = await encrypt('same', ua.keys, { backend });
    expect(a.salt).not.toEqual(b.salt);
    expect(a.localPublicKey).not.toEqual(b.localPublicKey);
    expect(a.body).not.toEqual(b.body);
  });

  test('the size limit: 3993 bytes fit aes128gcm exactly, 3994 are refused with the limit and the size', async () => {
    const ua = await receiver();
    expect(maxPayloadLength()).toBe(3993);
    expect(maxPayloadLength({ contentEncoding: 'aesgcm' })).toBe(4078);
    expect((await encrypt(new Uint8Array(3993), ua.keys, { backend })).body.length).toBe(4096);
    const error = await encrypt(new Uint8Array(3994), ua.keys, { backend }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebPushError);
    expect(error).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE' });
    expect((error as Error).message).toContain('4097 bytes');
    expect((error as Error).message).toContain('4096-byte limit');
    expect((error as Error).message).toContain('at most 3993 bytes fit');
  });

  test('a larger maxBodySize admits larger payloads; a record size too small for the record is refused', async () => {
    const ua = await receiver();
    const big = await encrypt(new Uint8Array(5000), ua.keys, {
      backend,
      maxBodySize: 8192,
      recordSize: 8192,
    });
    expect(await decrypt(big.body, ua, { contentEncoding: 'aes128gcm' }, backend)).toHaveLength(5000);
    await expect(encrypt(new Uint8Array(100), ua.keys, { backend, recordSize: 50 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  test('bad keys and options are typed errors before any crypto', async () => {
    const ua = await receiver();
    const cases: [unknown, unknown, string][] = [
      [{ p256dh: new Uint8Array(33), auth: ua.auth }, {}, 'ERR_INVALID_KEY'],
      [{ p256dh: ua.keyPair.publicKey, auth: new Uint8Array(12) }, {}, 'ERR_INVALID_KEY'],
      [{ p256dh: 'BCVx', auth: ua.auth }, {}, 'ERR_INVALID_KEY'],
      [null, {}, 'ERR_INVALID_KEY'],
      [ua.keys, { contentEncoding: 'gzip' }, 'ERR_INVALID_ARGUMENT'],
      [ua.keys, { padding: -1 }, 'ERR_INVALID_ARGUMENT'],
      [ua.keys, { padding: 1.5 }, 'ERR_INVALID_ARGUMENT'],
      [ua.keys, { contentEncoding: 'aesgcm', padding: 70000 }, 'ERR_INVALID_ARGUMENT'],
      [ua.keys, { maxBodySize: '4096' }, 'ERR_INVALID_ARGUMENT'],
    ];
    for (const [keys, options, code] of cases) {
      await expect(encrypt('x', keys as never, { ...(options as object), backend })).rejects.toMatchObject({
        code,
      });
    }
    await expect(encrypt(42 as never, ua.keys, { backend })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const offCurve = new Uint8Array(65);
    offCurve[0] = 4;
    await expect(encrypt('x', { p256dh: offCurve, auth: ua.auth }, { backend })).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
    });
  });

  test.each(encodings)(
    '%s: tampering, truncation, wrong keys and garbage never decrypt',
    async (encoding) => {
      const ua = await receiver();
      const other = await receiver();
      const encrypted = await encrypt('secret message', ua.keys, { contentEncoding: encoding, backend });
      const params =
        encoding === 'aes128gcm'
          ? ({ contentEncoding: 'aes128gcm' } as const)
          : {
              contentEncoding: 'aesgcm' as const,
              ...parseAesgcmHeaders(encrypted.headers.encryption!, encrypted.headers['crypto-key']!),
            };
      // RFC 8188 does not authenticate the aes128gcm header's rs (octets 16-19): a changed rs that
      // still holds the single record decrypts the same, so the property leaves those octets alone.
      const notRecordSize = (i: number) => encoding !== 'aes128gcm' || i < 16 || i > 19;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc
              .integer({ min: 0, max: encrypted.body.length - 1 })
              .filter(notRecordSize)
              .map((i) => {
                const body = Uint8Array.from(encrypted.body);
                body[i]! ^= 0x40;
                return body;
              }),
            fc.integer({ min: 0, max: encrypted.body.length - 1 }).map((n) => encrypted.body.slice(0, n)),
            fc.uint8Array({ maxLength: 300 }),
          ),
          async (body) => {
            const error = await decrypt(body, ua, params, backend).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(WebPushError);
            expect((error as WebPushError).code).toBe('ERR_DECRYPT_FAILED');
          },
        ),
        { numRuns: 60 },
      );
      await expect(decrypt(encrypted.body, other, params, backend)).rejects.toMatchObject({
        code: 'ERR_DECRYPT_FAILED',
      });
    },
  );

  test('aes128gcm (RFC 8188 §2): wrong or missing delimiters and non-zero padding are refused', async () => {
    const ikm = backend.randomBytes(16);
    const salt = backend.randomBytes(16);
    const keys = await deriveRecordKeys(backend, ikm, salt);
    const header = encodeHeader({ salt, recordSize: 4096, keyId: new Uint8Array(0) });
    const bodyOf = async (plain: number[]) =>
      concatBytes(header, await backend.aes128GcmSeal(keys.key, keys.nonce, new Uint8Array(plain)));
    expect(await decodeAes128gcm(backend, await bodyOf([7, 2, 0, 0]), ikm)).toEqual(new Uint8Array([7]));
    for (const plain of [
      [7, 1],
      [7, 0, 0],
      [0, 0],
      [7, 2, 5],
      [7, 3],
    ]) {
      await expect(decodeAes128gcm(backend, await bodyOf(plain), ikm)).rejects.toMatchObject({
        code: 'ERR_DECRYPT_FAILED',
      });
    }
  });
});

describe('parseAesgcmHeaders', () => {
  test('reads salt, rs and dh from lists with several parameters and quoted values', () => {
    const salt = 'DGv6ra1nlYgDCS1FRnbzlw';
    const parsed = parseAesgcmHeaders(
      `keyid=p256dh;salt="${salt}";rs=100`,
      'keyid=p256dh;dh=BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8, p256ecdsa=abc',
    );
    expect(parsed.recordSize).toBe(100);
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.senderPublicKey).toHaveLength(65);
  });

  test('hostile header values give ERR_INVALID_ENCRYPTION_HEADERS and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (encryption, cryptoKey) => {
        try {
          const parsed = parseAesgcmHeaders(encryption, cryptoKey);
          // A success must have found what it needs.
          expect(parsed.salt).toHaveLength(16);
        } catch (error) {
          expect(error).toBeInstanceOf(WebPushError);
          expect((error as WebPushError).code).toBe('ERR_INVALID_ENCRYPTION_HEADERS');
        }
      }),
    );
    for (const [enc, key] of [
      ['', 'dh=abc'],
      ['salt=abc', ''],
      ['salt=DGv6ra1nlYgDCS1FRnbzlw;rs=-5', 'dh=abc'],
      ['salt=DGv6ra1nlYgDCS1FRnbzlw;rs=1e3', 'dh=abc'],
      ['salt=!!!', 'dh=abc'],
    ] as const) {
      expect(() => parseAesgcmHeaders(enc, key)).toThrow(WebPushError);
    }
    expect(() => parseAesgcmHeaders(undefined as never, 'dh=x')).toThrow(WebPushError);
  });
});
