import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeBase64Url } from '../src/base64url.js';
import { WebPushError } from '../src/errors.js';
import { parseSubscription, validateSubscription } from '../src/subscription.js';
import { backends } from './backends.js';
import { offCurvePoint, subscriber } from './helpers/subscriber.js';

const fcm = 'https://fcm.googleapis.com/fcm/send/abc:APA91bH';

async function expectInvalid(input: unknown, message: string | RegExp, options?: { allowHttp?: boolean }) {
  const error = await validateSubscription(input, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebPushError);
  expect(error).toMatchObject({ code: 'ERR_INVALID_SUBSCRIPTION' });
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else expect((error as Error).message).toMatch(message);
}

describe('validateSubscription', () => {
  test('decodes the keys and keeps the endpoint with its query string', async () => {
    const ua = await subscriber('https://db5p.notify.windows.com/w/?token=AwYAAAB%2bX&x=1');
    const valid = await validateSubscription(ua.json);
    expect(valid.endpoint).toBe('https://db5p.notify.windows.com/w/?token=AwYAAAB%2bX&x=1');
    expect(valid.origin).toBe('https://db5p.notify.windows.com');
    expect(valid.hostname).toBe('db5p.notify.windows.com');
    expect(valid.expirationTime).toBeNull();
    expect(valid.keys.p256dh).toEqual(ua.keyPair.publicKey);
    expect(valid.keys.auth).toEqual(ua.auth);
    expect(Object.isFrozen(valid)).toBe(true);
  });

  test("accepts Firefox's padded base64url keys and an expirationTime", async () => {
    const ua = await subscriber(fcm);
    const padded = {
      ...ua.json,
      expirationTime: 1_900_000_000_000,
      keys: { p256dh: `${ua.json.keys.p256dh}=`, auth: `${ua.json.keys.auth}==` },
    };
    const valid = await validateSubscription(padded);
    expect(valid.keys.auth).toEqual(ua.auth);
    expect(valid.expirationTime).toBe(1_900_000_000_000);
  });

  test('says what was expected and what was received for each field', async () => {
    const ua = await subscriber(fcm);
    const short = encodeBase64Url(new Uint8Array(33).fill(2));
    await expectInvalid(
      { ...ua.json, keys: { ...ua.json.keys, p256dh: short } },
      'keys.p256dh must be a 65-byte uncompressed P-256 point, got 33 bytes',
    );
    await expectInvalid(
      { ...ua.json, keys: { ...ua.json.keys, auth: encodeBase64Url(new Uint8Array(15)) } },
      'keys.auth must be 16 bytes, got 15 bytes',
    );
    await expectInvalid(
      { ...ua.json, keys: { ...ua.json.keys, auth: 12 } },
      'keys.auth must be a base64url string (16 bytes), got number',
    );
    await expectInvalid(
      { ...ua.json, keys: { ...ua.json.keys, p256dh: 'ab$d' } },
      'keys.p256dh is not valid base64url: unexpected character "$" at position 2',
    );
    const compressed = new Uint8Array(65);
    compressed[0] = 2;
    await expectInvalid(
      { ...ua.json, keys: { ...ua.json.keys, p256dh: encodeBase64Url(compressed) } },
      'keys.p256dh must be a 65-byte uncompressed P-256 point starting with 0x04, got a first byte of 0x02',
    );
    await expectInvalid({ ...ua.json, keys: null }, 'keys must be an object {p256dh, auth}, got null');
    await expectInvalid(
      'https://x',
      'subscription must be an object {endpoint, keys: {p256dh, auth}}, got a string of 9 characters',
    );
    await expectInvalid(
      { ...ua.json, expirationTime: 'soon' },
      'expirationTime must be null or a non-negative number of milliseconds, got a string of 4 characters',
    );
  });

  test('endpoints: https only unless allowHttp, absolute, bounded, no credentials or fragment', async () => {
    const ua = await subscriber(fcm);
    const withEndpoint = (endpoint: unknown) => ({ ...ua.json, endpoint });
    await expectInvalid(withEndpoint('http://127.0.0.1:8080/push'), /allowHttp: true/);
    expect(
      (await validateSubscription(withEndpoint('http://127.0.0.1:8080/p'), { allowHttp: true })).origin,
    ).toBe('http://127.0.0.1:8080');
    await expectInvalid(withEndpoint('ftp://example.com/x'), 'endpoint must be an https: URL, got "ftp:"');
    await expectInvalid(
      withEndpoint('/relative/path'),
      'endpoint must be an absolute URL, got "/relative/path"',
    );
    await expectInvalid(withEndpoint(''), 'endpoint must be an absolute URL, got an empty string');
    await expectInvalid(withEndpoint(undefined), 'endpoint must be an absolute URL string, got undefined');
    await expectInvalid(
      withEndpoint(`https://fcm.googleapis.com/${'a'.repeat(3000)}`),
      'endpoint must be at most 2048 characters, got 3027',
    );
    await expectInvalid(withEndpoint('https://user:pw@push.example/x'), /must not contain credentials/);
    await expectInvalid(withEndpoint('https://push.example/x#frag'), /must not contain a fragment/);
  });

  test.each(backends.map((b) => [b.name, b] as const))(
    '%s backend: a p256dh that is not on the curve is rejected',
    async (_name, backend) => {
      const ua = await subscriber(fcm);
      const input = { ...ua.json, keys: { ...ua.json.keys, p256dh: encodeBase64Url(offCurvePoint()) } };
      await expect(validateSubscription(input, { backend })).rejects.toMatchObject({
        code: 'ERR_INVALID_SUBSCRIPTION',
        message: 'keys.p256dh must be a point on the P-256 curve, got 65 bytes that are not one',
      });
    },
  );

  test('a validated subscription is not parsed again', async () => {
    const ua = await subscriber(fcm);
    const valid = await validateSubscription(ua.json);
    expect(parseSubscription(valid)).toBe(valid);
    // A look-alike built by hand is parsed like any JSON and fails on its decoded keys.
    expect(() => parseSubscription({ ...valid })).toThrow(/keys.p256dh must be a base64url string/);
  });

  test('hostile JSON yields ERR_INVALID_SUBSCRIPTION or a valid subscription, never anything else', async () => {
    const ua = await subscriber(fcm);
    const base64ish = fc.string({
      unit: fc.constantFrom(...'AZaz09-_=+/$ \u00e9'.split('')),
      maxLength: 100,
    });
    const field = fc.oneof(
      fc.anything(),
      base64ish,
      fc.constant(ua.json.keys.p256dh),
      fc.constant(ua.json.keys.auth),
    );
    const endpoint = fc.oneof(
      fc.anything(),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string(),
      fc.constant(fcm),
    );
    const subscription = fc.oneof(
      fc.anything(),
      fc.record(
        {
          endpoint,
          expirationTime: fc.anything(),
          keys: fc.oneof(fc.anything(), fc.record({ p256dh: field, auth: field })),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(subscription, fc.boolean(), async (input, allowHttp) => {
        try {
          const valid = await validateSubscription(input, { allowHttp });
          expect(valid.keys.p256dh).toHaveLength(65);
          expect(valid.keys.auth).toHaveLength(16);
          expect(
            valid.endpoint.startsWith('https:') || (allowHttp && valid.endpoint.startsWith('http:')),
          ).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(WebPushError);
          expect((error as WebPushError).code).toBe('ERR_INVALID_SUBSCRIPTION');
        }
      }),
      { numRuns: 500 },
    );
  });
});
