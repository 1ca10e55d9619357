import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  decodeBase64Url,
  encodeBase64Url,
  generateVapidKeys,
  importVapidKeys,
  importVapidPublicKey,
  vapidKeysToJwk,
  vapidKeysToPem,
  vapidPublicKeyToJwk,
  vapidPublicKeyToPem,
} from '../src/index.js';
import { backends } from './backends.js';

/** A key pair made by node:crypto, in every export format it has. */
function nodeKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    pkcs8: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    sec1: privateKey.export({ format: 'pem', type: 'sec1' }) as string,
    spki: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    keys: {
      publicKey: encodeBase64Url(new Uint8Array([4, ...decodeBase64Url(jwk.x!), ...decodeBase64Url(jwk.y!)])),
      privateKey: jwk.d!,
    },
  };
}

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('generateVapidKeys gives a 65-byte point and a 32-byte scalar that belong together', async () => {
    const keys = await generateVapidKeys(backend);
    expect(keys.publicKey).toMatch(/^B[A-Za-z0-9_-]{86}$/);
    expect(keys.privateKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await importVapidKeys(keys, backend)).toEqual(keys);
    const other = await generateVapidKeys(backend);
    expect(other.privateKey).not.toBe(keys.privateKey);
  });

  test('derivePublicKey matches node:crypto and rejects 0 and n, accepts n - 1', async () => {
    const { keys } = nodeKeyPair();
    expect(encodeBase64Url(await backend.derivePublicKey(decodeBase64Url(keys.privateKey)))).toBe(
      keys.publicKey,
    );
    const n = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
    const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
    await expect(backend.derivePublicKey(new Uint8Array(32))).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
    });
    await expect(backend.derivePublicKey(hex(n))).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    await expect(backend.derivePublicKey(new Uint8Array(31))).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
    });
    // (n - 1) * G = -G: the generator's X with the Y mirrored.
    const minusG = await backend.derivePublicKey(hex(`${n.slice(0, -2)}50`));
    expect(Buffer.from(minusG.subarray(1, 33)).toString('hex')).toBe(
      '6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296',
    );
  });

  test('keys exported by node:crypto as PKCS#8, SEC1 and SPKI PEM and JWK import correctly', async () => {
    const { pkcs8, sec1, spki, keys } = nodeKeyPair();
    expect(await importVapidKeys(pkcs8, backend)).toEqual(keys);
    expect(await importVapidKeys(sec1, backend)).toEqual(keys);
    expect(await importVapidKeys(`  \r\n${sec1.replace(/\n/g, '\r\n')}\n\n`, backend)).toEqual(keys);
    expect(await importVapidPublicKey(spki, backend)).toBe(keys.publicKey);
    const jwk = createPrivateKey(pkcs8).export({ format: 'jwk' });
    expect(await importVapidKeys(jwk as never, backend)).toEqual(keys);
    expect(await importVapidKeys(JSON.stringify(jwk), backend)).toEqual(keys);
  });

  test('our PEM is byte for byte what node:crypto writes, and node:crypto reads it', async () => {
    const { pkcs8, sec1, spki, keys } = nodeKeyPair();
    expect(vapidKeysToPem(keys)).toBe(pkcs8);
    expect(vapidKeysToPem(keys, 'pkcs8')).toBe(pkcs8);
    expect(vapidKeysToPem(keys, 'sec1')).toBe(sec1);
    expect(vapidPublicKeyToPem(keys.publicKey)).toBe(spki);
    const fromOurs = createPrivateKey(vapidKeysToPem(keys, 'sec1')).export({ format: 'jwk' });
    expect(fromOurs.d).toBe(keys.privateKey);
    expect(createPublicKey(vapidPublicKeyToPem(keys.publicKey)).export({ format: 'jwk' })).toEqual(
      vapidPublicKeyToJwk(keys.publicKey),
    );
  });

  test('PEM and JWK round trip', async () => {
    const keys = await generateVapidKeys(backend);
    expect(await importVapidKeys(vapidKeysToPem(keys, 'pkcs8'), backend)).toEqual(keys);
    expect(await importVapidKeys(vapidKeysToPem(keys, 'sec1'), backend)).toEqual(keys);
    expect(await importVapidKeys(vapidKeysToJwk(keys), backend)).toEqual(keys);
    expect(await importVapidPublicKey(vapidPublicKeyToPem(keys.publicKey), backend)).toBe(keys.publicKey);
    expect(await importVapidPublicKey(vapidPublicKeyToJwk(keys.publicKey), backend)).toBe(keys.publicKey);
    expect(await importVapidPublicKey(`${keys.publicKey}=`, backend)).toBe(keys.publicKey);
    const jwk = vapidKeysToJwk(keys);
    expect(jwk).toEqual({ ...vapidPublicKeyToJwk(keys.publicKey), d: keys.privateKey });
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  test('a PEM key without the optional public key gets it derived; EC PARAMETERS blocks are skipped', async () => {
    const keys = await generateVapidKeys(backend);
    // PKCS#8 as Firefox's WebCrypto exports it: ECPrivateKey without [1] publicKey.
    const der = Buffer.concat([
      Buffer.from('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex'),
      decodeBase64Url(keys.privateKey),
    ]);
    const pem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    expect(await importVapidKeys(pem, backend)).toEqual(keys);
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    expect(await importVapidKeys(params + vapidKeysToPem(keys, 'sec1'), backend)).toEqual(keys);
  });

  test('a private key that does not belong to the public key is ERR_KEY_PAIR_MISMATCH', async () => {
    const a = await generateVapidKeys(backend);
    const b = await generateVapidKeys(backend);
    const mixed = { publicKey: a.publicKey, privateKey: b.privateKey };
    await expect(importVapidKeys(mixed, backend)).rejects.toMatchObject({
      code: 'ERR_KEY_PAIR_MISMATCH',
      message: expect.stringContaining(`belongs to the public key ${b.publicKey}`),
    });
    await expect(importVapidKeys(vapidKeysToPem(mixed), backend)).rejects.toMatchObject({
      code: 'ERR_KEY_PAIR_MISMATCH',
    });
    await expect(importVapidKeys(vapidKeysToJwk(mixed), backend)).rejects.toMatchObject({
      code: 'ERR_KEY_PAIR_MISMATCH',
    });
    await expect(
      importVapidKeys(vapidKeysToPem(b) + vapidPublicKeyToPem(a.publicKey), backend),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PAIR_MISMATCH' });
  });

  test('bad keys are ERR_INVALID_KEY with a message that says what was expected', async () => {
    const keys = await generateVapidKeys(backend);
    const cases: [unknown, RegExp][] = [
      [{ publicKey: keys.publicKey.slice(0, 60), privateKey: keys.privateKey }, /must be 65 bytes/],
      [{ publicKey: keys.publicKey, privateKey: `${keys.privateKey}AAAA` }, /must be 32 bytes/],
      [{ publicKey: keys.publicKey, privateKey: 'not base64!' }, /not base64url/],
      [{ publicKey: 42, privateKey: keys.privateKey }, /must be a base64url string/],
      [{ ...vapidKeysToJwk(keys), crv: 'P-384' }, /"crv" must be "P-256"/],
      [{ ...vapidKeysToJwk(keys), d: undefined }, /no private member "d"/],
      [{ ...vapidKeysToJwk(keys), x: `${vapidKeysToJwk(keys).x}=` }, /not unpadded base64url/],
      [vapidPublicKeyToPem(keys.publicKey), /no private key/],
      [
        vapidKeysToPem(keys).replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n'),
        /headers/,
      ],
      ['-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----', /encrypted/],
      [
        vapidKeysToPem(keys).replace('-----END PRIVATE KEY-----', '-----END EC PRIVATE KEY-----'),
        /expected "-----END PRIVATE KEY-----"/,
      ],
      [`${vapidKeysToPem(keys)}${vapidKeysToPem(keys, 'sec1')}`, /more than one private key/],
      ['{"kty":', /not JSON/],
      [null, /must be an object/],
    ];
    for (const [input, message] of cases) {
      await expect(importVapidKeys(input as never, backend), String(message)).rejects.toMatchObject({
        code: 'ERR_INVALID_KEY',
        message: expect.stringMatching(message),
      });
    }
    const offCurve = new Uint8Array(65);
    offCurve[0] = 4;
    offCurve[64] = 7;
    await expect(importVapidPublicKey(encodeBase64Url(offCurve), backend)).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
      message: expect.stringContaining('not a point on the P-256 curve'),
    });
  });

  test('PEM with another curve or algorithm names the problem', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    await expect(importVapidKeys(p384 as string, backend)).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
      message: expect.stringContaining('not P-256'),
    });
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    await expect(importVapidKeys(ed as string, backend)).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'pem',
      type: 'spki',
    });
    await expect(importVapidPublicKey(rsaPublic as string, backend)).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
      message: expect.stringContaining('not an EC key'),
    });
    const compressed = createPublicKey(vapidPublicKeyToPem((await generateVapidKeys(backend)).publicKey));
    const der = Buffer.from(compressed.export({ format: 'der', type: 'spki' }));
    // Re-encode the point compressed: 0x02/0x03 || X, with the SPKI lengths adjusted.
    const point = der.subarray(der.length - 65);
    const short = Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      Buffer.from([2 + (point[64]! & 1)]),
      point.subarray(1, 33),
    ]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${short.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    expect(createPublicKey(pem).export({ format: 'jwk' }).x).toBeDefined();
    await expect(importVapidPublicKey(pem, backend)).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
      message: expect.stringContaining('compressed'),
    });
  });
});
