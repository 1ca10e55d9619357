import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fakeBrowserSubscription, type TestServer, testServer } from './helpers/server.js';

let t: TestServer;
beforeEach(async () => {
  t = await testServer({
    HERALD_CORS_ORIGINS: 'https://site.example',
    HERALD_ALLOW_PUSH_HOSTS: '127.0.0.1:*',
  });
});
afterEach(async () => {
  await t.dispose();
});

const subscribe = (body: unknown, headers: Record<string, string> = {}) =>
  t.server.app.inject({ method: 'POST', url: '/api/v1/subscriptions', payload: body as object, headers });

describe('GET /api/v1/vapid-public-key', () => {
  test('answers the active key, the one stored on first start', async () => {
    const res = await t.server.app.inject('/api/v1/vapid-public-key');
    expect(res.statusCode).toBe(200);
    const active = await t.server.storage.getActiveVapidKey();
    expect(res.json()).toEqual({ publicKey: active!.publicKey });
    expect(active!.publicKey).toMatch(/^B[A-Za-z0-9_-]{86}$/);
  });

  test('CORS: an allowed origin is echoed, another is not; preflight answers 204', async () => {
    const allowed = await t.server.app.inject({
      url: '/api/v1/vapid-public-key',
      headers: { origin: 'https://site.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://site.example');
    const other = await t.server.app.inject({
      url: '/api/v1/vapid-public-key',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.server.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/subscriptions',
      headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
  });
});

describe('POST /api/v1/subscriptions', () => {
  test('creates (201), and the same endpoint again updates with the same id (200)', async () => {
    const subscription = fakeBrowserSubscription();
    const first = await subscribe({ subscription, topics: ['news'] });
    expect(first.statusCode).toBe(201);
    const { id } = first.json();
    expect(id).toMatch(/^sub_/);
    const again = await subscribe({ subscription, topics: ['sport'] });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id });
    const stored = await t.server.storage.getSubscription(id);
    expect(stored).toMatchObject({ topics: ['sport'], pushServiceOrigin: 'https://fcm.googleapis.com' });
    expect(stored!.vapidKeyId).toBe((await t.server.storage.getActiveVapidKey())!.id);
  });

  test('records the applicationServerKey the browser used, and refuses one the server does not hold', async () => {
    const old = await t.server.storage.getActiveVapidKey();
    await t.server.context.keys.rotate();
    const withOld = await subscribe({
      subscription: fakeBrowserSubscription(),
      applicationServerKey: old!.publicKey,
    });
    expect(withOld.statusCode).toBe(201);
    expect((await t.server.storage.getSubscription(withOld.json().id))!.vapidKeyId).toBe(old!.id);

    const stranger = fakeBrowserSubscription().keys.p256dh;
    const refused = await subscribe({
      subscription: fakeBrowserSubscription(),
      applicationServerKey: stranger,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('ERR_UNKNOWN_VAPID_KEY');
    expect(await t.server.storage.countSubscriptions()).toBe(1);
  });

  test('accepts allowed hosts (http only for them); refuses anything else and stores nothing', async () => {
    const local = await subscribe({
      subscription: fakeBrowserSubscription('http://127.0.0.1:8123/push/abc'),
    });
    expect(local.statusCode).toBe(201);
    const refusals: [string, string][] = [
      ['https://evil.example/push', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['http://fcm.googleapis.com/fcm/send/x', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['https://fcm.googleapis.com:8443/fcm/send/x', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['http://10.0.0.1/admin', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['https://user:pw@fcm.googleapis.com/x', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['https://push.apple.com.evil.example/x', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['ftp://fcm.googleapis.com/x', 'ERR_ENDPOINT_NOT_ALLOWED'],
      ['not a url', 'ERR_INVALID_SUBSCRIPTION'],
    ];
    for (const [endpoint, code] of refusals) {
      const res = await subscribe({ subscription: fakeBrowserSubscription(endpoint) });
      expect([endpoint, res.statusCode, res.json().error.code]).toEqual([endpoint, 400, code]);
    }
    const apple = await subscribe({
      subscription: fakeBrowserSubscription('https://web.push.apple.com/QGx'),
    });
    expect(apple.statusCode).toBe(201);
    expect(await t.server.storage.countSubscriptions()).toBe(2);
  });

  test('refuses malformed keys with the reason, and changes nothing', async () => {
    // The right length and prefix, but not on the curve: one bit of y flipped. (Overwriting the
    // last characters instead left the key unchanged whenever it already ended that way.)
    const offCurve = (p256dh: string) => {
      const point = Buffer.from(p256dh, 'base64url');
      point[64]! ^= 1;
      return point.toString('base64url');
    };
    const good = fakeBrowserSubscription();
    const cases = [
      { ...good, keys: { ...good.keys, p256dh: 'AAAA' } },
      { ...good, keys: { ...good.keys, p256dh: offCurve(good.keys.p256dh) } },
      { ...good, keys: { ...good.keys, auth: 'AAAA' } },
      { ...good, keys: { ...good.keys, auth: 'not base64url!' } },
    ];
    for (const subscription of cases) {
      const res = await subscribe({ subscription });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('ERR_INVALID_SUBSCRIPTION');
      expect(res.json().error.message).toMatch(/p256dh|auth/);
    }
    expect(await t.server.storage.countSubscriptions()).toBe(0);
  });

  test('invalid bodies: 400 naming the field, unknown fields refused, bad JSON, oversized 413, wrong type 415', async () => {
    const missing = await subscribe({ topics: [] });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'ERR_INVALID_REQUEST' });
    expect(missing.json().error.message).toContain('subscription');
    const unknown = await subscribe({ subscription: fakeBrowserSubscription(), topicz: ['x'] });
    expect(unknown.statusCode).toBe(400);
    const badTopic = await subscribe({ subscription: fakeBrowserSubscription(), topics: ['has space'] });
    expect(badTopic.json().error.message).toContain('topics');
    const badJson = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/subscriptions',
      payload: '{"subscription":',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toBe('ERR_INVALID_REQUEST');
    const huge = await subscribe({
      subscription: fakeBrowserSubscription(),
      topics: ['x'],
      pad: 'x'.repeat(70_000),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('ERR_BODY_TOO_LARGE');
    const text = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/subscriptions',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(await t.server.storage.countSubscriptions()).toBe(0);
  });

  test('replaces: a browser proving it held the old subscription retires it and keeps its topics', async () => {
    const old = fakeBrowserSubscription();
    const { id } = (await subscribe({ subscription: old, topics: ['a'] })).json();
    const fresh = fakeBrowserSubscription();
    const wrong = await subscribe({ subscription: fresh, replaces: { id, auth: fresh.keys.auth } });
    expect(wrong.statusCode).toBe(403);
    expect(await t.server.storage.countSubscriptions()).toBe(1);
    const res = await subscribe({ subscription: fresh, replaces: { id, auth: old.keys.auth } });
    expect(res.statusCode).toBe(201);
    expect(await t.server.storage.getSubscription(id)).toBeUndefined();
    expect((await t.server.storage.getSubscription(res.json().id))!.topics).toEqual(['a']);
  });
});

describe('proof of possession routes', () => {
  let id: string;
  let auth: string;
  beforeEach(async () => {
    const subscription = fakeBrowserSubscription();
    auth = subscription.keys.auth;
    id = (await subscribe({ subscription, topics: ['a'] })).json().id;
  });

  test('PUT topics with the auth secret replaces them; a wrong secret is 403 and changes nothing', async () => {
    const wrong = await t.server.app.inject({
      method: 'PUT',
      url: `/api/v1/subscriptions/${id}/topics`,
      payload: { auth: 'AAAAAAAAAAAAAAAAAAAAAA', topics: ['b'] },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('ERR_FORBIDDEN');
    expect((await t.server.storage.getSubscription(id))!.topics).toEqual(['a']);
    const ok = await t.server.app.inject({
      method: 'PUT',
      url: `/api/v1/subscriptions/${id}/topics`,
      payload: { auth, topics: ['b', 'c', 'b'] },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id, topics: ['b', 'c'] });
    const missing = await t.server.app.inject({
      method: 'PUT',
      url: '/api/v1/subscriptions/sub_nope/topics',
      payload: { auth, topics: [] },
    });
    expect(missing.statusCode).toBe(404);
  });

  test('unsubscribe with the auth secret deletes; without it nothing happens', async () => {
    const wrong = await t.server.app.inject({
      method: 'POST',
      url: `/api/v1/subscriptions/${id}/unsubscribe`,
      payload: { auth: `${auth.slice(0, -1)}A` === auth ? `${auth.slice(0, -1)}B` : `${auth.slice(0, -1)}A` },
    });
    expect(wrong.statusCode).toBe(403);
    const noProof = await t.server.app.inject({
      method: 'POST',
      url: `/api/v1/subscriptions/${id}/unsubscribe`,
      payload: {},
    });
    expect(noProof.statusCode).toBe(400);
    expect(await t.server.storage.getSubscription(id)).toBeDefined();
    const ok = await t.server.app.inject({
      method: 'POST',
      url: `/api/v1/subscriptions/${id}/unsubscribe`,
      payload: { auth },
    });
    expect(ok.statusCode).toBe(204);
    expect(await t.server.storage.getSubscription(id)).toBeUndefined();
  });

  test('link: a token from the admin route links the user; forged, expired or wrong-proof tokens do not', async () => {
    const tokenRes = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/link-tokens',
      payload: { userId: 'user-42' },
      headers: t.admin,
    });
    expect(tokenRes.statusCode).toBe(201);
    const { token, expiresAt } = tokenRes.json();
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const link = (body: object) =>
      t.server.app.inject({ method: 'POST', url: `/api/v1/subscriptions/${id}/link`, payload: body });

    const forged = `${token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await link({ auth, token: forged })).statusCode).toBe(401);
    const expired = t.server.context.linkTokens.sign('user-42', 1, Date.now() - 5_000).token;
    expect((await link({ auth, token: expired })).json().error.code).toBe('ERR_UNAUTHORIZED');
    expect((await link({ auth: 'AAAAAAAAAAAAAAAAAAAAAA', token })).statusCode).toBe(403);
    expect((await t.server.storage.getSubscription(id))!.userId).toBeNull();

    const ok = await link({ auth, token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id, userId: 'user-42' });
    expect((await t.server.storage.getSubscription(id))!.userId).toBe('user-42');
  });
});

test('rate limit: past HERALD_RATE_LIMIT per minute a client gets 429 with Retry-After; others do not', async () => {
  const limited = await testServer({ HERALD_RATE_LIMIT: '3', HERALD_TRUST_PROXY: 'true' });
  try {
    const get = (ip: string) =>
      limited.server.app.inject({ url: '/api/v1/vapid-public-key', headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 3; i++) expect((await get('203.0.113.1')).statusCode).toBe(200);
    const over = await get('203.0.113.1');
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('ERR_RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await get('203.0.113.2')).statusCode).toBe(200);
    // Admin routes are not rate-limited per client.
    const admin = await limited.server.app.inject({
      url: '/api/v1/vapid-keys',
      headers: { ...limited.admin, 'x-forwarded-for': '203.0.113.1' },
    });
    expect(admin.statusCode).toBe(200);
  } finally {
    await limited.dispose();
  }
});
