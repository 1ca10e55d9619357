import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import type { CryptoBackend } from '../src/crypto/backend.js';
import {
  decodeBase64Url,
  encodeBase64Url,
  generateVapidKeys,
  parseVapidAuthorization,
  VapidSigner,
  VapidVerifier,
} from '../src/index.js';
import { backends } from './backends.js';

const audience = 'https://push.example.net';
const endpoint = `${audience}/wpush/v2/abc`;
const subject = 'mailto:push@example.com';
const start = Date.UTC(2026, 10, 27, 12, 0, 0);
const startSeconds = start / 1000;

/** A jose key pair and our base64url form of its public key. */
async function joseKeys() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const raw = encodeBase64Url(new Uint8Array([4, ...decodeBase64Url(jwk.x!), ...decodeBase64Url(jwk.y!)]));
  return { privateKey, publicKey: raw };
}

async function joseToken(
  privateKey: CryptoKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { typ: 'JWT', alg: 'ES256' },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(privateKey);
}

/** A JWS signed by hand with WebCrypto, for headers jose refuses to write. */
async function handToken(privateKey: CryptoKey, header: unknown, claims: unknown): Promise<string> {
  const part = (value: unknown) => encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
  const input = `${part(header)}.${part(claims)}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${encodeBase64Url(new Uint8Array(signature))}`;
}

function counting(backend: CryptoBackend) {
  const counts = { verifies: 0 };
  const wrapped: CryptoBackend = {
    ...backend,
    verify: (key, data, signature) => {
      counts.verifies++;
      return backend.verify(key, data, signature);
    },
  };
  return { counts, backend: wrapped };
}

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  const clock = () => start;
  const verifier = () => new VapidVerifier({ audience, clock, backend });

  test('tokens from our signer verify in both header forms', async () => {
    const keys = await generateVapidKeys(backend);
    const signer = await VapidSigner.create({ subject, ...keys, clock, backend });
    const v = verifier();
    const modern = await signer.headers(endpoint, 'aes128gcm');
    const result = await v.verify({ authorization: modern.authorization, expectedPublicKey: keys.publicKey });
    expect(result).toMatchObject({
      scheme: 'vapid',
      publicKey: keys.publicKey,
      subject,
      audience,
      expiresAt: startSeconds + 12 * 3600,
    });
    const legacy = await signer.headers(endpoint, 'aesgcm');
    const cryptoKey = `dh=BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU;${legacy.cryptoKey}`;
    expect(await v.verify({ authorization: legacy.authorization, cryptoKey })).toMatchObject({
      scheme: 'webpush',
      publicKey: keys.publicKey,
    });
    // Without p256ecdsa, the subscription's key stands in.
    expect(
      await v.verify({
        authorization: legacy.authorization,
        cryptoKey: null,
        expectedPublicKey: keys.publicKey,
      }),
    ).toMatchObject({ scheme: 'webpush' });
    // Firefox hands out keys with '=' padding.
    expect(
      await v.verify({ authorization: `${modern.authorization}=`, expectedPublicKey: `${keys.publicKey}=` }),
    ).toMatchObject({ publicKey: keys.publicKey });
  });

  test('ES256 tokens signed by jose verify, with or without typ', async () => {
    const { privateKey, publicKey } = await joseKeys();
    const v = verifier();
    for (const header of [
      { typ: 'JWT', alg: 'ES256' },
      { alg: 'ES256' },
      { alg: 'ES256', typ: 'jwt', kid: '1' },
    ]) {
      const token = await joseToken(
        privateKey,
        { aud: audience, exp: startSeconds + 3600, sub: subject },
        header,
      );
      expect(
        await v.verify({ authorization: `vapid t=${token}, k=${publicKey}`, expectedPublicKey: publicKey }),
      ).toMatchObject({ subject, publicKey, token });
    }
    const token = await joseToken(privateKey, { aud: audience, exp: startSeconds + 60, sub: subject });
    expect(
      await v.verify({ authorization: `WebPush ${token}`, cryptoKey: `p256ecdsa="${publicKey}"` }),
    ).toMatchObject({
      scheme: 'webpush',
    });
    expect(await v.verify({ authorization: `VAPID k="${publicKey}",t=${token}` })).toMatchObject({ token });
  });

  test('each failure has its own code', async () => {
    const { privateKey, publicKey } = await joseKeys();
    const other = await joseKeys();
    const v = new VapidVerifier({ audience, clock, backend, strictSubject: true });
    const good = { aud: audience, exp: startSeconds + 3600, sub: subject };
    const sign = (claims: Record<string, unknown>, header?: Record<string, unknown>) =>
      joseToken(privateKey, claims, header);
    const vapid = (token: string, k = publicKey) => `vapid t=${token}, k=${k}`;
    const goodToken = await sign(good);
    const cases: [string, Parameters<VapidVerifier['verify']>[0]][] = [
      ['ERR_VAPID_MISSING', { authorization: undefined }],
      ['ERR_VAPID_MISSING', { authorization: '  ' }],
      ['ERR_VAPID_MISSING', { authorization: `Bearer ${goodToken}` }],
      ['ERR_VAPID_MISSING', { authorization: 'key=AIzaSyD' }],
      ['ERR_VAPID_MALFORMED', { authorization: `vapid t=${goodToken}` }],
      ['ERR_VAPID_MALFORMED', { authorization: `vapid k=${publicKey}` }],
      ['ERR_VAPID_MALFORMED', { authorization: `vapid t=${goodToken}, t=${goodToken}, k=${publicKey}` }],
      ['ERR_VAPID_MALFORMED', { authorization: vapid('a.b.c') }],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(`${goodToken}.x`) }],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(goodToken, 'AAAA') }],
      ['ERR_VAPID_MALFORMED', { authorization: `WebPush ${goodToken}` }],
      [
        'ERR_VAPID_MALFORMED',
        { authorization: `WebPush ${goodToken} ${goodToken}`, cryptoKey: `p256ecdsa=${publicKey}` },
      ],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(await handToken(privateKey, { alg: 'ES384' }, good)) }],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(await handToken(privateKey, { alg: 'none' }, good)) }],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(await handToken(privateKey, { typ: 'JWT' }, good)) }],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(await sign(good, { alg: 'ES256', typ: 'JOSE' })) }],
      [
        'ERR_VAPID_MALFORMED',
        { authorization: vapid(await handToken(privateKey, { alg: 'ES256', crit: ['x'], x: 1 }, good)) },
      ],
      [
        'ERR_VAPID_MALFORMED',
        { authorization: vapid(await handToken(privateKey, { alg: 'ES256' }, [good])) },
      ],
      ['ERR_VAPID_MALFORMED', { authorization: vapid(await handToken(privateKey, 'ES256', good)) }],
      ['ERR_VAPID_KEY_MISMATCH', { authorization: vapid(goodToken), expectedPublicKey: other.publicKey }],
      [
        'ERR_VAPID_KEY_MISMATCH',
        {
          authorization: `WebPush ${goodToken}`,
          cryptoKey: `p256ecdsa=${publicKey}`,
          expectedPublicKey: other.publicKey,
        },
      ],
      ['ERR_VAPID_BAD_SIGNATURE', { authorization: vapid(goodToken, other.publicKey) }],
      ['ERR_VAPID_BAD_SIGNATURE', { authorization: vapid(await joseToken(other.privateKey, good)) }],
      [
        'ERR_VAPID_AUDIENCE',
        { authorization: vapid(await sign({ ...good, aud: 'https://evil.example.com' })) },
      ],
      ['ERR_VAPID_AUDIENCE', { authorization: vapid(await sign({ ...good, aud: `${audience}/` })) }],
      ['ERR_VAPID_AUDIENCE', { authorization: vapid(await sign({ ...good, aud: [audience] })) }],
      ['ERR_VAPID_AUDIENCE', { authorization: vapid(await sign({ exp: good.exp, sub: subject })) }],
      ['ERR_VAPID_EXPIRATION', { authorization: vapid(await sign({ aud: audience, sub: subject })) }],
      ['ERR_VAPID_EXPIRATION', { authorization: vapid(await sign({ ...good, exp: String(good.exp) })) }],
      ['ERR_VAPID_EXPIRATION', { authorization: vapid(await sign({ ...good, exp: startSeconds + 86_401 })) }],
      ['ERR_VAPID_EXPIRED', { authorization: vapid(await sign({ ...good, exp: startSeconds })) }],
      ['ERR_VAPID_EXPIRED', { authorization: vapid(await sign({ ...good, exp: startSeconds - 3600 })) }],
      ['ERR_VAPID_SUBJECT', { authorization: vapid(await sign({ aud: audience, exp: good.exp })) }],
      ['ERR_VAPID_SUBJECT', { authorization: vapid(await sign({ ...good, sub: 'mailto:me@localhost' })) }],
    ];
    for (const [code, request] of cases) {
      await expect(
        v.verify(request),
        `${code} ${JSON.stringify(request).slice(0, 120)}`,
      ).rejects.toMatchObject({ code });
    }
    expect(
      await v.verify({ authorization: vapid(await sign({ ...good, exp: startSeconds + 86_400 })) }),
    ).toBeDefined();
    expect(
      await v.verify({ authorization: vapid(await handToken(privateKey, { alg: 'ES256' }, good)) }),
    ).toBeDefined();
    expect(v.cacheSize).toBe(2);
  });

  test('a verified token is remembered until it expires: no second signature check', async () => {
    const keys = await generateVapidKeys(backend);
    let now = start;
    const tick = () => now;
    const signer = await VapidSigner.create({ subject, ...keys, expiresIn: 3600, clock: tick, backend });
    const { authorization } = await signer.headers(endpoint);
    const c = counting(backend);
    const v = new VapidVerifier({ audience, clock: tick, backend: c.backend });
    const first = await v.verify({ authorization, expectedPublicKey: keys.publicKey });
    expect(await v.verify({ authorization, expectedPublicKey: keys.publicKey })).toBe(first);
    // Shared between requests, so nobody can alter what the next one receives.
    expect(Object.isFrozen(first)).toBe(true);
    expect(await v.verify({ authorization })).toBe(first);
    expect(c.counts.verifies).toBe(1);
    // The cache never vouches for another key.
    const other = await generateVapidKeys(backend);
    await expect(v.verify({ authorization, expectedPublicKey: other.publicKey })).rejects.toMatchObject({
      code: 'ERR_VAPID_KEY_MISMATCH',
    });
    const swapped = authorization.replace(/k=.*$/, `k=${other.publicKey}`);
    await expect(v.verify({ authorization: swapped })).rejects.toMatchObject({
      code: 'ERR_VAPID_BAD_SIGNATURE',
    });
    expect(c.counts.verifies).toBe(2);
    now = start + 3600 * 1000 - 1;
    expect(await v.verify({ authorization })).toBe(first);
    now = start + 3600 * 1000;
    await expect(v.verify({ authorization })).rejects.toMatchObject({ code: 'ERR_VAPID_EXPIRED' });
    expect(v.cacheSize).toBe(0);
    await expect(v.verify({ authorization })).rejects.toMatchObject({ code: 'ERR_VAPID_EXPIRED' });
  });

  test('a token re-spelled in the unused bits of a base64url part is a different token and fails', async () => {
    const keys = await generateVapidKeys(backend);
    const signer = await VapidSigner.create({ subject, ...keys, clock, backend });
    const { token } = await signer.token(endpoint);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 86 characters carry 516 bits for the 512-bit signature: the last one has 4 unused bits.
    const last = alphabet.indexOf(token.at(-1)!);
    const respelled = token.slice(0, -1) + alphabet[last ^ 1];
    expect(decodeBase64Url(respelled.split('.')[2]!)).toEqual(decodeBase64Url(token.split('.')[2]!));
    const v = verifier();
    await expect(
      v.verify({ authorization: `vapid t=${respelled}, k=${keys.publicKey}` }),
    ).rejects.toMatchObject({
      code: 'ERR_VAPID_MALFORMED',
      message: expect.stringContaining('unused bits'),
    });
    await expect(v.verify({ authorization: `vapid t=${token}=, k=${keys.publicKey}` })).rejects.toMatchObject(
      {
        code: 'ERR_VAPID_MALFORMED',
      },
    );
    expect(await v.verify({ authorization: `vapid t=${token}, k=${keys.publicKey}` })).toMatchObject({
      token,
    });
  });

  test('the cache is bounded, oldest first, and can be switched off', async () => {
    const { privateKey, publicKey } = await joseKeys();
    const c = counting(backend);
    const v = new VapidVerifier({ audience, clock, backend: c.backend, maxCacheEntries: 2 });
    const tokens = await Promise.all(
      [1, 2, 3].map((i) => joseToken(privateKey, { aud: audience, exp: startSeconds + i, sub: subject })),
    );
    for (const token of tokens) await v.verify({ authorization: `vapid t=${token}, k=${publicKey}` });
    expect(v.cacheSize).toBe(2);
    await v.verify({ authorization: `vapid t=${tokens[0]}, k=${publicKey}` });
    expect(c.counts.verifies).toBe(4);
    await v.verify({ authorization: `vapid t=${tokens[2]}, k=${publicKey}` });
    expect(c.counts.verifies).toBe(4);
    const off = new VapidVerifier({ audience, clock, backend, maxCacheEntries: 0 });
    await off.verify({ authorization: `vapid t=${tokens[0]}, k=${publicKey}` });
    expect(off.cacheSize).toBe(0);
  });

  test('clockTolerance forgives skew on both sides of exp', async () => {
    const { privateKey, publicKey } = await joseKeys();
    const v = new VapidVerifier({ audience: `${audience}/ignored/path`, clock, backend, clockTolerance: 30 });
    expect(v.audience).toBe(audience);
    const at = async (exp: number) =>
      v.verify({
        authorization: `vapid t=${await joseToken(privateKey, { aud: audience, exp, sub: subject })}, k=${publicKey}`,
      });
    await expect(at(startSeconds - 29)).resolves.toBeDefined();
    await expect(at(startSeconds - 30)).rejects.toMatchObject({ code: 'ERR_VAPID_EXPIRED' });
    await expect(at(startSeconds + 86_430)).resolves.toBeDefined();
    await expect(at(startSeconds + 86_431)).rejects.toMatchObject({ code: 'ERR_VAPID_EXPIRATION' });
  });
});

test('verifier options are checked', () => {
  for (const options of [
    { audience: 'not a url' },
    { audience: 'ftp://push.example.net' },
    { audience, clockTolerance: -1 },
    { audience, maxCacheEntries: 1.5 },
  ]) {
    expect(() => new VapidVerifier(options), JSON.stringify(options)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  }
});

test('parseVapidAuthorization reads both forms', () => {
  expect(parseVapidAuthorization('vapid t=a.b.c, k=BKey')).toEqual({
    scheme: 'vapid',
    token: 'a.b.c',
    publicKey: 'BKey',
  });
  expect(parseVapidAuthorization('Vapid  K = "BKey" ,T=a.b.c')).toEqual({
    scheme: 'vapid',
    token: 'a.b.c',
    publicKey: 'BKey',
  });
  expect(parseVapidAuthorization('WebPush a.b.c', 'keyid=p256dh;dh=BDh,p256ecdsa=BKey')).toEqual({
    scheme: 'webpush',
    token: 'a.b.c',
    publicKey: 'BKey',
  });
  expect(parseVapidAuthorization('webpush a.b.c')).toEqual({
    scheme: 'webpush',
    token: 'a.b.c',
    publicKey: undefined,
  });
  expect(() => parseVapidAuthorization('WebPush a.b.c', 'p256ecdsa=BKey,p256ecdsa=BOther')).toThrow(
    expect.objectContaining({ code: 'ERR_VAPID_MALFORMED' }),
  );
  expect(() => parseVapidAuthorization('vapid t=a b, k=c')).toThrow(
    expect.objectContaining({ code: 'ERR_VAPID_MALFORMED' }),
  );
});
