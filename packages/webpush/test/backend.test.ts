import { describe, expect, test } from 'vitest';
import { defaultBackend, WebPushError } from '../src/index.js';
import { backends } from './backends.js';

test('the node export condition loads the node:crypto backend', () => {
  expect(defaultBackend.name).toBe('node');
});

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('ECDH agrees with the other backend in both directions', async () => {
    for (const other of backends) {
      const pair = await other.generateKeyPair();
      const { publicKey, secret } = await backend.ephemeralAgreement(pair.publicKey);
      const mine = await other.importEcdhPrivateKey(pair);
      expect(await other.agree(mine, publicKey)).toEqual(secret);
      expect(secret).toHaveLength(32);
    }
  });

  test('signatures verify across backends and fail when tampered', async () => {
    const pair = await backend.generateKeyPair();
    const data = new TextEncoder().encode('header.payload');
    const signature = await backend.sign(await backend.importSigningKey(pair), data);
    expect(signature).toHaveLength(64);
    for (const other of backends) {
      const key = await other.importVerifyingKey(pair.publicKey);
      expect(await other.verify(key, data, signature)).toBe(true);
      const tampered = Uint8Array.from(signature);
      tampered[10]! ^= 1;
      expect(await other.verify(key, data, tampered)).toBe(false);
    }
  });

  test('AES-128-GCM round trips and rejects a corrupted tag with ERR_DECRYPT_FAILED', async () => {
    const key = backend.randomBytes(16);
    const nonce = backend.randomBytes(12);
    const sealed = await backend.aes128GcmSeal(key, nonce, new Uint8Array([1, 2, 3]));
    expect(sealed).toHaveLength(19);
    expect(await backend.aes128GcmOpen(key, nonce, sealed)).toEqual(new Uint8Array([1, 2, 3]));
    sealed[18]! ^= 1;
    await expect(backend.aes128GcmOpen(key, nonce, sealed)).rejects.toMatchObject({
      code: 'ERR_DECRYPT_FAILED',
    });
  });

  test('randomBytes never hands out the same bytes twice, across pool refills and sizes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const salt = backend.randomBytes(16);
      expect(salt).toHaveLength(16);
      seen.add(Buffer.from(salt).toString('hex'));
    }
    expect(seen.size).toBe(2000);
    const first = backend.randomBytes(16);
    const copy = Uint8Array.from(first);
    for (let i = 0; i < 300; i++) backend.randomBytes(16); // past a refill of a 4 KiB pool
    expect(first).toEqual(copy);
    expect(backend.randomBytes(100_000)).toHaveLength(100_000);
  });

  test('HMAC-SHA-256 matches RFC 4231 test case 2', async () => {
    const mac = await backend.hmacSha256(
      new TextEncoder().encode('Jefe'),
      new TextEncoder().encode('what do ya want for nothing?'),
    );
    expect(Buffer.from(mac).toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  test('points off the curve and wrong lengths are ERR_INVALID_KEY', async () => {
    const offCurve = new Uint8Array(65);
    offCurve[0] = 4;
    offCurve[64] = 7;
    expect(await backend.isValidPublicKey(offCurve)).toBe(false);
    expect(await backend.isValidPublicKey(new Uint8Array(33))).toBe(false);
    await expect(backend.ephemeralAgreement(offCurve)).rejects.toBeInstanceOf(WebPushError);
    await expect(backend.ephemeralAgreement(new Uint8Array(64))).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
    });
    const pair = await backend.generateKeyPair();
    expect(await backend.isValidPublicKey(pair.publicKey)).toBe(true);
    await expect(
      backend.importSigningKey({ publicKey: pair.publicKey, privateKey: new Uint8Array(31) }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
  });
});
