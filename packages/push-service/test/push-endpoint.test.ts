import { encodeBase64Url } from '@herald/webpush';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HeadlessSubscription, HeadlessUserAgent, PushService } from '../src/index.js';
import { push, vapidJwt, vapidKeys } from './helpers.js';

// RFC 8030 conformance: every answer code and errno of the application-server side.

let service: PushService;
let agent: HeadlessUserAgent;
let keys: Awaited<ReturnType<typeof vapidKeys>>;
let subscription: HeadlessSubscription;

beforeAll(async () => {
  service = await PushService.start({ port: 0 });
  keys = await vapidKeys();
  agent = await HeadlessUserAgent.connect(service.websocketUrl);
  subscription = await agent.subscribe({ applicationServerKey: keys.publicKeyText });
});
afterAll(async () => {
  agent.close();
  await service.close();
});

async function refusal(response: Response, status: number, errno: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = await response.json();
  expect(body).toMatchObject({ code: status, errno, error: expect.any(String), message: expect.any(String) });
  return body as { message: string };
}

describe('201 Created', () => {
  test('with Location naming the message and the TTL echoed (capped at 60 days)', async () => {
    const response = await push(subscription, 'hi', {
      vapid: keys,
      headers: { ttl: String(90 * 24 * 3600) },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toMatch(new RegExp(`^${service.origin}/m/[0-9a-f-]{36}$`));
    expect(response.headers.get('ttl')).toBe(String(60 * 24 * 3600));
    expect((await agent.waitForMessage()).text()).toBe('hi');
  });

  test('a push without body and Urgency of each allowed value', async () => {
    for (const urgency of ['very-low', 'low', 'normal', 'high']) {
      const response = await push(subscription, null, { vapid: keys, headers: { urgency } });
      expect(response.status).toBe(201);
      const message = await agent.waitForMessage();
      expect(message.data).toBeNull();
    }
  });

  test('Topic replaces an undelivered message with the same topic (RFC 8030 §5.4)', async () => {
    agent.disconnect();
    await service.waitFor('ua:disconnect', (u) => u === agent.uaid);
    for (const text of ['first', 'second']) {
      expect((await push(subscription, text, { vapid: keys, headers: { topic: 'scores' } })).status).toBe(
        201,
      );
    }
    expect(
      (await push(subscription, 'other topic', { vapid: keys, headers: { topic: 'weather' } })).status,
    ).toBe(201);
    await agent.reconnect();
    expect((await agent.waitForMessage()).text()).toBe('second');
    expect((await agent.waitForMessage()).text()).toBe('other topic');
    await expect(agent.waitForMessage({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  });

  test('TTL 0 reaches a connected user agent and is never stored', async () => {
    expect((await push(subscription, 'now or never', { vapid: keys, headers: { ttl: '0' } })).status).toBe(
      201,
    );
    expect((await agent.waitForMessage()).text()).toBe('now or never');
    expect(service.status().messages).toBe(0);
  });

  test('an expired message is not delivered', async () => {
    agent.disconnect();
    await service.waitFor('ua:disconnect', (u) => u === agent.uaid);
    expect((await push(subscription, 'short-lived', { vapid: keys, headers: { ttl: '1' } })).status).toBe(
      201,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await agent.reconnect();
    await expect(agent.waitForMessage({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  });
});

describe('400 Bad Request', () => {
  test('errno 111: TTL missing or not a number', async () => {
    const body = await refusal(
      await push(subscription, 'x', { vapid: keys, headers: { ttl: '' } }),
      400,
      111,
    );
    expect(body.message).toMatch(/TTL/);
    await refusal(await push(subscription, 'x', { vapid: keys, headers: { ttl: 'soon' } }), 400, 111);
  });

  test('errno 114: negative TTL', async () => {
    await refusal(await push(subscription, 'x', { vapid: keys, headers: { ttl: '-5' } }), 400, 114);
  });

  test('errno 113: Topic too long or outside base64url', async () => {
    await refusal(
      await push(subscription, 'x', { vapid: keys, headers: { topic: 'a'.repeat(33) } }),
      400,
      113,
    );
    await refusal(await push(subscription, 'x', { vapid: keys, headers: { topic: 'no spaces' } }), 400, 113);
  });

  test('errno 112: Urgency not one of very-low, low, normal, high', async () => {
    await refusal(await push(subscription, 'x', { vapid: keys, headers: { urgency: 'critical' } }), 400, 112);
  });

  test('errno 110: missing or unknown Content-Encoding, bad aesgcm or aes128gcm headers', async () => {
    await refusal(
      await push(subscription, 'x', { vapid: keys, headers: { 'content-encoding': '' } }),
      400,
      110,
    );
    await refusal(
      await push(subscription, 'x', { vapid: keys, headers: { 'content-encoding': 'gzip' } }),
      400,
      110,
    );
    await refusal(
      await push(subscription, 'x', { vapid: keys, encoding: 'aesgcm', headers: { encryption: '' } }),
      400,
      110,
    );
    await refusal(
      await push(subscription, 'x', {
        vapid: keys,
        encoding: 'aesgcm',
        headers: { 'crypto-key': 'keyid=p256dh' },
      }),
      400,
      110,
    );
    await refusal(
      await push(subscription, 'x', { vapid: keys, headers: { encryption: 'salt=AAAA' } }),
      400,
      110,
    );
  });
});

describe('401 Unauthorized, errno 109 (VAPID)', () => {
  const cases: Array<[string, () => Promise<Record<string, string>>]> = [
    ['no Authorization on a subscription made with a key', async () => ({})],
    ['an unknown scheme', async () => ({ authorization: 'Bearer abc' })],
    ['vapid without k=', async () => ({ authorization: `vapid t=${await vapidJwt(keys, service.origin)}` })],
    [
      'a key other than the one given at subscribe',
      async () => {
        const other = await vapidKeys();
        return {
          authorization: `vapid t=${await vapidJwt(other, service.origin)}, k=${other.publicKeyText}`,
        };
      },
    ],
    [
      'a signature by another key',
      async () => {
        const other = await vapidKeys();
        return { authorization: `vapid t=${await vapidJwt(other, service.origin)}, k=${keys.publicKeyText}` };
      },
    ],
    [
      'aud naming another origin',
      async () => ({
        authorization: `vapid t=${await vapidJwt(keys, 'https://elsewhere.example')}, k=${keys.publicKeyText}`,
      }),
    ],
    [
      'an expired JWT',
      async () => ({
        authorization: `vapid t=${await vapidJwt(keys, service.origin, Math.floor(Date.now() / 1000) - 10)}, k=${keys.publicKeyText}`,
      }),
    ],
    [
      'exp more than 24 h ahead',
      async () => ({
        authorization: `vapid t=${await vapidJwt(keys, service.origin, Math.floor(Date.now() / 1000) + 25 * 3600)}, k=${keys.publicKeyText}`,
      }),
    ],
    [
      'alg other than ES256',
      async () => ({
        authorization: `vapid t=${await vapidJwt(keys, service.origin, undefined, 'HS256')}, k=${keys.publicKeyText}`,
      }),
    ],
    [
      'a JWT that is not three parts',
      async () => ({ authorization: `vapid t=abc.def, k=${keys.publicKeyText}` }),
    ],
    ['garbage JWT parts', async () => ({ authorization: `vapid t=%%%.***.!!!, k=${keys.publicKeyText}` })],
  ];
  test.each(cases)('%s', async (_name, headers) => {
    const response = await push(subscription, 'x', { headers: await headers() });
    await refusal(response, 401, 109);
  });

  test('both schemes are accepted with the right key; a subscription without key takes pushes without VAPID', async () => {
    expect((await push(subscription, 'vapid', { vapid: keys })).status).toBe(201);
    expect((await push(subscription, 'webpush', { vapid: keys, encoding: 'aesgcm' })).status).toBe(201);
    const open = await agent.subscribe();
    expect((await push(open, 'no vapid')).status).toBe(201);
    // A VAPID header sent anyway is still checked.
    const other = await vapidKeys();
    const forged = `vapid t=${await vapidJwt(other, service.origin)}, k=${encodeBase64Url(keys.publicKey)}`;
    await refusal(await push(open, 'x', { headers: { authorization: forged } }), 401, 109);
    // The WebPush scheme names its key in Crypto-Key; without one there is nothing to verify against.
    const bare = `WebPush ${await vapidJwt(other, service.origin)}`;
    await refusal(await push(open, 'x', { headers: { authorization: bare } }), 401, 109);
    for (let i = 0; i < 3; i++) await agent.waitForMessage();
  });
});

describe('404, 405, 410, 413', () => {
  test('404 errno 102: an unknown endpoint', async () => {
    const unknown = { ...subscription, endpoint: `${service.origin}/wpush/v1/${'A'.repeat(24)}` };
    await refusal(await push(unknown, 'x', { vapid: keys }), 404, 102);
    await refusal(await fetch(`${service.origin}/elsewhere`, { method: 'POST' }), 404, 102);
  });

  test('405: anything but POST', async () => {
    await refusal(await fetch(subscription.endpoint, { method: 'GET' }), 405, 999);
  });

  test('410 errno 106 after unsubscribe, 103 after expiry, 105 after a uaid reset; with Cache-Control', async () => {
    const other = await HeadlessUserAgent.connect(service.websocketUrl);
    const unsubscribed = await other.subscribe({ applicationServerKey: keys.publicKeyText });
    const expired = await other.subscribe({ applicationServerKey: keys.publicKeyText });
    await other.unsubscribe(unsubscribed);
    const gone = await push(unsubscribed, 'x', { vapid: keys });
    expect(gone.headers.get('cache-control')).toBe('max-age=86400');
    await refusal(gone, 410, 106);
    service.expireSubscription(expired.endpoint);
    await refusal(await push(expired, 'x', { vapid: keys }), 410, 103);
    const dropped = await other.subscribe({ applicationServerKey: keys.publicKeyText });
    service.resetUserAgent({ endpoint: dropped.endpoint });
    await refusal(await push(dropped, 'x', { vapid: keys }), 410, 105);
    other.close();
  });

  test('413 errno 104: a body over 4096 bytes, declared or streamed; 4096 bytes pass', async () => {
    const headers = { ttl: '60', 'content-encoding': 'aes128gcm' };
    const jwtHeader = {
      authorization: `vapid t=${await vapidJwt(keys, service.origin)}, k=${keys.publicKeyText}`,
    };
    await refusal(
      await fetch(subscription.endpoint, {
        method: 'POST',
        headers: { ...headers, ...jwtHeader },
        body: new Uint8Array(4097),
      }),
      413,
      104,
    );
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(1000));
        controller.close();
      },
    });
    const streamed = await fetch(subscription.endpoint, {
      method: 'POST',
      headers: { ...headers, ...jwtHeader },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await refusal(streamed, 413, 104);
    const atLimit = await push(subscription, 'y'.repeat(4096 - 86 - 17), { vapid: keys });
    expect(atLimit.status).toBe(201);
    expect((await agent.waitForMessage()).text()).toHaveLength(4096 - 86 - 17);
  });
});

test('a subscription keeps at most maxWaitingPerSubscription messages for an absent user agent, the newest', async () => {
  const small = await PushService.start({ port: 0, maxWaitingPerSubscription: 2 });
  const ua = await HeadlessUserAgent.connect(small.websocketUrl);
  const sub = await ua.subscribe();
  ua.disconnect();
  await small.waitFor('ua:disconnect');
  for (const text of ['1', '2', '3']) expect((await push(sub, text)).status).toBe(201);
  expect(small.status().messages).toBe(2);
  await ua.reconnect();
  expect([(await ua.waitForMessage()).text(), (await ua.waitForMessage()).text()]).toEqual(['2', '3']);
  ua.close();
  await small.close();
});

describe('429 with Retry-After', () => {
  test('a configurable rate limit per subscription', async () => {
    const limited = await PushService.start({ port: 0, rateLimit: { limit: 2, windowSeconds: 60 } });
    const ua = await HeadlessUserAgent.connect(limited.websocketUrl, { buffer: false });
    const sub = await ua.subscribe();
    expect((await push(sub, '1')).status).toBe(201);
    expect((await push(sub, '2')).status).toBe(201);
    const response = await push(sub, '3');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await refusal(response, 429, 201);
    ua.close();
    await limited.close();
  });
});
