import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, test } from 'vitest';
import type { CryptoBackend } from '../src/crypto/backend.js';
import {
  defaultBackend,
  generateVapidKeys,
  getVapidSigner,
  VapidSigner,
  vapidAudience,
  vapidHeaders,
  vapidPublicKeyToJwk,
} from '../src/index.js';
import { backends } from './backends.js';

const subject = 'mailto:push@example.com';
const fcm = 'https://fcm.googleapis.com/fcm/send/abc:APA91b';
const mozilla = 'https://updates.push.services.mozilla.com/wpush/v2/gAAAAA';
const start = Date.UTC(2026, 10, 27, 12, 0, 0);

/** A backend that counts signatures, and a clock the test moves. */
function harness(backend: CryptoBackend) {
  const counts = { signs: 0 };
  const counting: CryptoBackend = {
    ...backend,
    sign: (key, data) => {
      counts.signs++;
      return backend.sign(key, data);
    },
  };
  const clock = { now: start };
  return { counts, backend: counting, clock, tick: () => clock.now };
}

function tokenOf(authorization: string): string {
  return /^vapid t=([^,]+), k=/.exec(authorization)?.[1] ?? authorization.replace(/^WebPush /, '');
}

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('aes128gcm headers carry an ES256 JWT that jose verifies, with aud, exp 12 h ahead and sub', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const signer = await VapidSigner.create({ subject, ...keys, clock: h.tick, backend: h.backend });
    const headers = await signer.headers(fcm);
    expect(headers.cryptoKey).toBeUndefined();
    expect(headers.authorization).toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]{87}$/);
    expect(headers.authorization.endsWith(`, k=${keys.publicKey}`)).toBe(true);
    const token = tokenOf(headers.authorization);
    expect(decodeProtectedHeader(token)).toEqual({ typ: 'JWT', alg: 'ES256' });
    const key = await importJWK(vapidPublicKeyToJwk(keys.publicKey), 'ES256');
    const { payload } = await jwtVerify(token, key, {
      audience: 'https://fcm.googleapis.com',
      algorithms: ['ES256'],
      currentDate: new Date(start),
    });
    expect(payload).toEqual({
      aud: 'https://fcm.googleapis.com',
      exp: start / 1000 + 12 * 3600,
      sub: subject,
    });
  });

  test('aesgcm gets "WebPush <jwt>" and p256ecdsa for Crypto-Key, from the same cached JWT', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const signer = await VapidSigner.create({ subject, ...keys, clock: h.tick, backend: h.backend });
    const modern = await signer.headers(fcm, 'aes128gcm');
    const legacy = await signer.headers(fcm, 'aesgcm');
    expect(legacy).toEqual({
      authorization: `WebPush ${tokenOf(modern.authorization)}`,
      cryptoKey: `p256ecdsa=${keys.publicKey}`,
    });
    expect(h.counts.signs).toBe(1);
    await expect(signer.headers(fcm, 'gzip' as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(() => signer.cachedHeaders(fcm, 'gzip' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  test('one JWT per audience, reused until half its lifetime has passed, then replaced', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const signer = await VapidSigner.create({ subject, ...keys, clock: h.tick, backend: h.backend });
    expect(signer.cachedHeaders(fcm)).toBeUndefined();
    const first = await signer.headers(fcm);
    // Same origin, other path and query: same audience, same object, no signature.
    expect(signer.cachedHeaders(`${fcm}/other?x=1`)).toBe(first);
    expect(await signer.headers('https://FCM.googleapis.com:443/fcm/send/zzz')).toBe(first);
    h.clock.now = start + 6 * 3600 * 1000 - 1;
    expect(signer.cachedHeaders(fcm)).toBe(first);
    expect(await signer.headers(fcm)).toBe(first);
    expect(h.counts.signs).toBe(1);

    const other = await signer.headers(mozilla);
    expect(h.counts.signs).toBe(2);
    expect(tokenOf(other.authorization)).not.toBe(tokenOf(first.authorization));
    expect((await signer.token(mozilla)).audience).toBe('https://updates.push.services.mozilla.com');

    h.clock.now = start + 6 * 3600 * 1000;
    expect(signer.cachedHeaders(fcm)).toBeUndefined();
    const second = await signer.headers(fcm);
    expect(h.counts.signs).toBe(3);
    expect(second.authorization).not.toBe(first.authorization);
    expect(await signer.token(fcm)).toMatchObject({
      expiresAt: (start + 6 * 3600 * 1000) / 1000 + 12 * 3600,
    });
    expect(signer.cachedHeaders(fcm)).toBe(second);
    // The Mozilla JWT was signed 6 h - 1 ms after start: its own refresh point comes later.
    expect(signer.cachedHeaders(mozilla)).toBe(other);
    h.clock.now = start + 12 * 3600 * 1000 - 1;
    expect(signer.cachedHeaders(mozilla)).toBeUndefined();
  });

  test('concurrent requests for a new audience share one signature', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const signer = await VapidSigner.create({ subject, ...keys, clock: h.tick, backend: h.backend });
    const all = await Promise.all(Array.from({ length: 20 }, () => signer.headers(fcm)));
    expect(new Set(all).size).toBe(1);
    expect(h.counts.signs).toBe(1);
  });

  test('expiresIn sets exp and the refresh point; more than 24 h is ERR_VAPID_EXPIRATION', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const signer = await VapidSigner.create({
      subject,
      ...keys,
      expiresIn: 3600,
      clock: h.tick,
      backend: h.backend,
    });
    expect((await signer.token(fcm)).expiresAt).toBe(start / 1000 + 3600);
    h.clock.now = start + 1800 * 1000 - 1;
    expect(signer.cachedHeaders(fcm)).toBeDefined();
    h.clock.now = start + 1800 * 1000;
    expect(signer.cachedHeaders(fcm)).toBeUndefined();
    const max = await VapidSigner.create({ subject, ...keys, expiresIn: 86_400, clock: h.tick, backend });
    expect((await max.token(fcm)).expiresAt).toBe(h.clock.now / 1000 + 86_400);
    for (const expiresIn of [86_401, 0, 59, 1.5, Number.NaN, '3600']) {
      await expect(
        VapidSigner.create({ subject, ...keys, expiresIn: expiresIn as number, backend }),
        String(expiresIn),
      ).rejects.toMatchObject({ code: 'ERR_VAPID_EXPIRATION', message: expect.stringContaining('24 hours') });
    }
  });

  test('create checks the subject and that the keys belong together', async () => {
    const keys = await generateVapidKeys(backend);
    const other = await generateVapidKeys(backend);
    await expect(
      VapidSigner.create({ subject: 'mailto:me@localhost', ...keys, backend }),
    ).rejects.toMatchObject({
      code: 'ERR_VAPID_SUBJECT',
      message: expect.stringContaining('BadJwtToken'),
    });
    await expect(
      VapidSigner.create({ subject, publicKey: keys.publicKey, privateKey: other.privateKey, backend }),
    ).rejects.toMatchObject({ code: 'ERR_KEY_PAIR_MISMATCH' });
    await expect(
      VapidSigner.create({ subject, publicKey: 'short', privateKey: keys.privateKey, backend }),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_KEY',
    });
    await expect(VapidSigner.create(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  test('maxAudiences bounds the cache, dropping the oldest audience', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const signer = await VapidSigner.create({
      subject,
      ...keys,
      maxAudiences: 2,
      clock: h.tick,
      backend: h.backend,
    });
    await signer.headers('https://a.example.com/1');
    await signer.headers('https://b.example.com/1');
    await signer.headers('https://c.example.com/1');
    expect(signer.cachedHeaders('https://a.example.com/1')).toBeUndefined();
    expect(signer.cachedHeaders('https://b.example.com/1')).toBeDefined();
    expect(signer.cachedHeaders('https://c.example.com/1')).toBeDefined();
    expect(h.counts.signs).toBe(3);
  });

  test('plain details share one signer per (subject, keys, expiresIn), so the JWT is cached too', async () => {
    const keys = await generateVapidKeys(backend);
    const h = harness(backend);
    const details = { subject, ...keys };
    const signer = await getVapidSigner(details, h.backend);
    expect(await getVapidSigner({ ...details }, h.backend)).toBe(signer);
    expect(await getVapidSigner({ ...details, expiresIn: 3600 }, h.backend)).not.toBe(signer);
    const a = await vapidHeaders(fcm, details, 'aes128gcm', h.backend);
    const b = await vapidHeaders(`${fcm}2`, { ...details }, 'aes128gcm', h.backend);
    expect(b).toBe(a);
    expect(await vapidHeaders(fcm, signer, 'aesgcm')).toMatchObject({
      cryptoKey: `p256ecdsa=${keys.publicKey}`,
    });
    expect(h.counts.signs).toBe(1);
    await expect(
      getVapidSigner({ ...details, subject: 'admin@example.com' }, h.backend),
    ).rejects.toMatchObject({
      code: 'ERR_VAPID_SUBJECT',
    });
    await expect(getVapidSigner(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

test('the default backend signs when none is given', async () => {
  const keys = await generateVapidKeys();
  const signer = await VapidSigner.create({ subject, ...keys });
  const { token } = await signer.token(fcm);
  const key = await importJWK(vapidPublicKeyToJwk(keys.publicKey), 'ES256');
  await expect(jwtVerify(token, key, { audience: 'https://fcm.googleapis.com' })).resolves.toBeDefined();
  expect(defaultBackend.name).toBe('node');
});

test.each([
  ['https://fcm.googleapis.com/fcm/send/x', 'https://fcm.googleapis.com'],
  ['https://push.example.net:8443/p/1?token=abc', 'https://push.example.net:8443'],
  ['https://push.example.net:443/p', 'https://push.example.net'],
  ['https://PUSH.Example.NET/p', 'https://push.example.net'],
  ['http://127.0.0.1:8080/push/1', 'http://127.0.0.1:8080'],
  ['https://push.example.net', 'https://push.example.net'],
  ['https://push.example.net#x', 'https://push.example.net'],
  ['https:///other.example.com/p', 'https://other.example.com'],
  ['https://user@push.example.net/p', 'https://push.example.net'],
  ['https://wns2-par02p.notify.windows.com/w/?token=BQYAAA', 'https://wns2-par02p.notify.windows.com'],
])('vapidAudience(%s) is %s', (endpoint, origin) => {
  expect(vapidAudience(endpoint)).toBe(origin);
  expect(vapidAudience(endpoint)).toBe(origin);
});

test.each(['ftp://example.com/x', 'not a url', '/relative/path', 'data:text/plain,hi', ''])(
  'vapidAudience(%s) is ERR_VAPID_AUDIENCE',
  (endpoint) => {
    expect(() => vapidAudience(endpoint)).toThrow(expect.objectContaining({ code: 'ERR_VAPID_AUDIENCE' }));
  },
);
