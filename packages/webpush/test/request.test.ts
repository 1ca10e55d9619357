import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { encodeBase64Url } from '../src/base64url.js';
import { parseAesgcmHeaders } from '../src/ece/aesgcm.js';
import { decrypt } from '../src/ece/decrypt.js';
import { WebPushError } from '../src/errors.js';
import { buildPushRequest, maxTtl } from '../src/request.js';
import { validateSubscription } from '../src/subscription.js';
import { generateVapidKeys } from '../src/vapid/keys.js';
import { VapidSigner } from '../src/vapid/signer.js';
import { VapidVerifier } from '../src/vapid/verifier.js';
import { offCurvePoint, subscriber } from './helpers/subscriber.js';

const endpoint = 'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk?x=1';
const wnsEndpoint = 'https://db5p.notify.windows.com/w/?token=AwYAAAB';

async function expectArgumentError(promise: Promise<unknown>, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebPushError);
  expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(message) });
}

describe('buildPushRequest', () => {
  test('aes128gcm: the headers of RFC 8030 and RFC 8291, and a body the subscriber decrypts', async () => {
    const ua = await subscriber(endpoint);
    const request = await buildPushRequest(ua.json, 'hello');
    expect(request.url).toBe(endpoint);
    expect(request.origin).toBe('https://updates.push.services.mozilla.com');
    expect(request.method).toBe('POST');
    expect(request.headers).toEqual({
      ttl: String(maxTtl),
      'content-encoding': 'aes128gcm',
      'content-type': 'application/octet-stream',
      'content-length': String(request.body!.length),
    });
    const plaintext = await decrypt(request.body!, ua, { contentEncoding: 'aes128gcm' });
    expect(new TextDecoder().decode(plaintext)).toBe('hello');
  });

  test('aesgcm: Encryption and Crypto-Key headers, and a body the subscriber decrypts', async () => {
    const ua = await subscriber(endpoint);
    const payload = new Uint8Array([1, 2, 3, 250]);
    const request = await buildPushRequest(ua.json, payload, { contentEncoding: 'aesgcm', padding: 5 });
    expect(request.headers['content-encoding']).toBe('aesgcm');
    expect(request.headers.encryption).toMatch(/^salt=[A-Za-z0-9_-]{22}$/);
    expect(request.headers['crypto-key']).toMatch(/^dh=[A-Za-z0-9_-]{87}$/);
    const params = parseAesgcmHeaders(request.headers.encryption!, request.headers['crypto-key']!);
    expect(await decrypt(request.body!, ua, { contentEncoding: 'aesgcm', ...params })).toEqual(payload);
  });

  test('no payload: no body, Content-Length 0, no encryption headers', async () => {
    const ua = await subscriber(endpoint);
    for (const payload of [null, undefined]) {
      const request = await buildPushRequest(ua.json, payload, { contentEncoding: 'aesgcm' });
      expect(request.body).toBeNull();
      expect(request.headers).toEqual({ ttl: String(maxTtl), 'content-length': '0' });
    }
    // An empty string is a payload: an encrypted empty message.
    const empty = await buildPushRequest(ua.json, '');
    expect(empty.body!.length).toBe(86 + 1 + 16);
  });

  test('without a payload the subscription may have no keys, as in web-push', async () => {
    const request = await buildPushRequest({ endpoint }, null, { ttl: 5 });
    expect(request).toMatchObject({
      url: endpoint,
      body: null,
      headers: { ttl: '5', 'content-length': '0' },
    });
    await expect(buildPushRequest({ endpoint }, 'x')).rejects.toMatchObject({
      code: 'ERR_INVALID_SUBSCRIPTION',
      message: 'keys must be an object {p256dh, auth}, got undefined',
    });
    await expect(buildPushRequest({ endpoint: 'http://x/' }, null)).rejects.toMatchObject({
      code: 'ERR_INVALID_SUBSCRIPTION',
    });
  });

  test('ttl, urgency and topic are sent as given', async () => {
    const ua = await subscriber(endpoint);
    const request = await buildPushRequest(ua.json, null, { ttl: 0, urgency: 'very-low', topic: 'a-B_9' });
    expect(request.headers).toMatchObject({ ttl: '0', urgency: 'very-low', topic: 'a-B_9' });
    expect(request.headers['x-wns-cache-policy']).toBeUndefined();
  });

  test('WNS: TTL 0 adds X-WNS-Cache-Policy: no-cache, which WNS requires for it', async () => {
    const ua = await subscriber(wnsEndpoint);
    expect((await buildPushRequest(ua.json, null, { ttl: 0 })).headers['x-wns-cache-policy']).toBe(
      'no-cache',
    );
    expect(
      (await buildPushRequest(ua.json, null, { ttl: 60 })).headers['x-wns-cache-policy'],
    ).toBeUndefined();
    expect((await buildPushRequest(ua.json, null)).url).toBe(wnsEndpoint);
  });

  test('options out of range are ERR_INVALID_ARGUMENT saying what was expected and received', async () => {
    const ua = await subscriber(endpoint);
    const build = (options: object) => buildPushRequest(ua.json, 'x', options as never);
    await expectArgumentError(
      build({ ttl: -1 }),
      /^ttl must be an integer number of seconds from 0 to 2419200, got -1$/,
    );
    await expectArgumentError(build({ ttl: maxTtl + 1 }), /got 2419201/);
    await expectArgumentError(build({ ttl: 1.5 }), /got 1.5/);
    await expectArgumentError(build({ ttl: '60' }), /got "60"/);
    await expectArgumentError(
      build({ urgency: 'urgent' }),
      /^urgency must be one of very-low, low, normal, high, got "urgent"$/,
    );
    await expectArgumentError(build({ topic: 'x'.repeat(33) }), /^topic must be 1 to 32 characters/);
    await expectArgumentError(build({ topic: 'a b' }), /got "a b"/);
    await expectArgumentError(build({ topic: '' }), /topic/);
    await expectArgumentError(build({ contentEncoding: 'gzip' }), /contentEncoding/);
    // Regression: describing { toString: false } with String() threw a TypeError (found by fast-check).
    await expectArgumentError(build({ ttl: { toString: false } }), /got object$/);
  });

  test('extra headers are added, and may not override or smuggle', async () => {
    const ua = await subscriber(endpoint);
    const request = await buildPushRequest(ua.json, null, {
      headers: { 'X-Custom': 'v', Authorization: 'key=abc' },
    });
    expect(request.headers).toMatchObject({ 'x-custom': 'v', authorization: 'key=abc' });
    const build = (headers: object) => buildPushRequest(ua.json, null, { headers: headers as never });
    await expectArgumentError(build({ TTL: '5' }), /"TTL" is set by buildPushRequest itself/);
    await expectArgumentError(build({ 'Content-Length': '5' }), /is set by buildPushRequest itself/);
    await expectArgumentError(build({ 'x-a': 'a\r\nInjected: 1' }), /must be a string without CR, LF or NUL/);
    await expectArgumentError(build({ 'bad name': 'v' }), /is not a valid header name/);
    await expectArgumentError(build({ 'x-n': 5 }), /must be a string/);
  });

  test('a ValidSubscription is used as is; a p256dh off the curve is caught by the encryption', async () => {
    const ua = await subscriber(endpoint);
    const valid = await validateSubscription(ua.json);
    const request = await buildPushRequest(valid, 'x');
    expect(await decrypt(request.body!, ua, { contentEncoding: 'aes128gcm' })).toEqual(new Uint8Array([120]));
    const bad = { ...ua.json, keys: { ...ua.json.keys, p256dh: encodeBase64Url(offCurvePoint()) } };
    await expect(buildPushRequest(bad, 'x')).rejects.toMatchObject({
      code: 'ERR_INVALID_SUBSCRIPTION',
      message: 'keys.p256dh must be a point on the P-256 curve, got 65 bytes that are not one',
    });
    // Without a payload the keys are never used, so only their shape is checked.
    expect((await buildPushRequest(bad, null)).body).toBeNull();
  });

  test('a payload over the limit is ERR_PAYLOAD_TOO_LARGE before anything is sent', async () => {
    const ua = await subscriber(endpoint);
    await expect(buildPushRequest(ua.json, 'x'.repeat(4000))).rejects.toMatchObject({
      code: 'ERR_PAYLOAD_TOO_LARGE',
    });
  });

  test('hostile options yield a WebPushError or a request, never anything else', async () => {
    const ua = await subscriber(endpoint);
    const valid = await validateSubscription(ua.json);
    const headerName = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('ttl', 'TTL', '__proto__', 'constructor', 'toString', 'x-ok', 'Content-Type'),
    );
    const options = fc.record(
      {
        ttl: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        urgency: fc.oneof(fc.constantFrom('very-low', 'low', 'normal', 'high'), fc.anything()),
        topic: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/), fc.anything()),
        contentEncoding: fc.oneof(fc.constantFrom('aes128gcm', 'aesgcm'), fc.anything()),
        headers: fc.oneof(fc.dictionary(headerName, fc.oneof(fc.string(), fc.anything())), fc.anything()),
        padding: fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        options,
        fc.oneof(fc.constant(null), fc.string({ maxLength: 50 })),
        async (opts, payload) => {
          try {
            const request = await buildPushRequest(valid, payload, opts as never);
            expect(Number(request.headers.ttl)).toBeGreaterThanOrEqual(0);
            for (const [name, value] of Object.entries(request.headers)) {
              expect(name).toMatch(/^[!#$%&'*+.^_`|~0-9a-z-]+$/);
              expect(value).not.toMatch(/[\r\n\0]/);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(WebPushError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  describe('VAPID', () => {
    let keys: Awaited<ReturnType<typeof generateVapidKeys>>;
    let details: { subject: string; publicKey: string; privateKey: string };
    beforeAll(async () => {
      keys = await generateVapidKeys();
      details = { subject: 'mailto:push@example.com', ...keys };
    });
    const verifier = new VapidVerifier({ audience: 'https://updates.push.services.mozilla.com' });

    test('aes128gcm: Authorization vapid t=, k= that a push service verifies', async () => {
      const ua = await subscriber(endpoint);
      for (const vapid of [details, await VapidSigner.create(details)]) {
        const request = await buildPushRequest(ua.json, 'x', { vapid });
        expect(request.headers.authorization).toMatch(
          new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${keys.publicKey}$`),
        );
        expect(request.headers['crypto-key']).toBeUndefined();
        const verified = await verifier.verify({
          authorization: request.headers.authorization,
          expectedPublicKey: keys.publicKey,
        });
        expect(verified).toMatchObject({ scheme: 'vapid', subject: 'mailto:push@example.com' });
      }
    });

    test('aesgcm: Authorization WebPush and one Crypto-Key with dh= and p256ecdsa=', async () => {
      const ua = await subscriber(endpoint);
      const request = await buildPushRequest(ua.json, 'x', { vapid: details, contentEncoding: 'aesgcm' });
      expect(request.headers.authorization).toMatch(/^WebPush [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(request.headers['crypto-key']).toMatch(
        new RegExp(`^dh=[\\w-]{87};p256ecdsa=${keys.publicKey}$`),
      );
      const verified = await verifier.verify({
        authorization: request.headers.authorization,
        cryptoKey: request.headers['crypto-key'],
      });
      expect(verified.scheme).toBe('webpush');
      const params = parseAesgcmHeaders(request.headers.encryption!, request.headers['crypto-key']!);
      expect(await decrypt(request.body!, ua, { contentEncoding: 'aesgcm', ...params })).toEqual(
        new Uint8Array([120]),
      );
      const empty = await buildPushRequest(ua.json, null, { vapid: details, contentEncoding: 'aesgcm' });
      expect(empty.headers['crypto-key']).toBe(`p256ecdsa=${keys.publicKey}`);
    });

    test('one JWT per push service is reused across sends', async () => {
      const ua = await subscriber(endpoint);
      const first = await buildPushRequest(ua.json, null, { vapid: details });
      const second = await buildPushRequest(ua.json, 'y', { vapid: details });
      expect(second.headers.authorization).toBe(first.headers.authorization);
      const other = await subscriber('https://fcm.googleapis.com/fcm/send/x');
      expect((await buildPushRequest(other.json, null, { vapid: details })).headers.authorization).not.toBe(
        first.headers.authorization,
      );
    });

    test('bad VAPID details and a competing Authorization header are refused before sending', async () => {
      const ua = await subscriber(endpoint);
      await expect(
        buildPushRequest(ua.json, null, { vapid: { ...details, subject: 'mailto:me@localhost' } }),
      ).rejects.toMatchObject({ code: 'ERR_VAPID_SUBJECT' });
      await expect(buildPushRequest(ua.json, null, { vapid: 'secret' as never })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expectArgumentError(
        buildPushRequest(ua.json, null, { vapid: details, headers: { Authorization: 'key=x' } }),
        /"Authorization" is set by buildPushRequest itself/,
      );
    });
  });
});
