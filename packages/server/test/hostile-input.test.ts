import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fakeBrowserSubscription, type TestServer, testServer } from './helpers/server.js';

/**
 * Arbitrary JSON and arbitrary bytes thrown at every route that takes a body: the answer is a
 * JSON error with a 4xx status, never a 500, and nothing stored changes.
 */
let t: TestServer;
let id: string;
beforeAll(async () => {
  t = await testServer({ HERALD_ALLOW_PUSH_HOSTS: '127.0.0.1:*' });
  const res = await t.server.app.inject({
    method: 'POST',
    url: '/api/v1/subscriptions',
    payload: { subscription: fakeBrowserSubscription(), topics: ['a'] },
  });
  id = res.json().id;
});
afterAll(async () => {
  await t.dispose();
});

async function snapshot() {
  return JSON.stringify([
    await t.server.storage.listSubscriptions({ limit: 100 }),
    await t.server.storage.listMessages({ limit: 100 }),
    await t.server.storage.listVapidKeys(),
    (await t.server.storage.listApiKeys()).map((k) => [k.id, k.revokedAt]),
  ]);
}

const routes = () => [
  { method: 'POST', url: '/api/v1/subscriptions', admin: false },
  { method: 'PUT', url: `/api/v1/subscriptions/${id}/topics`, admin: false },
  { method: 'POST', url: `/api/v1/subscriptions/${id}/unsubscribe`, admin: false },
  { method: 'POST', url: `/api/v1/subscriptions/${id}/link`, admin: false },
  { method: 'POST', url: '/api/v1/messages', admin: true },
  { method: 'PUT', url: `/api/v1/subscriptions/${id}/user`, admin: true },
  { method: 'POST', url: '/api/v1/vapid-keys/import', admin: true },
  { method: 'POST', url: '/api/v1/link-tokens', admin: true },
];

// Shapes close to valid ones, so validation is passed often enough to reach the deeper checks.
const nearlyValid = fc.record(
  {
    subscription: fc.record({
      endpoint: fc.oneof(fc.string(), fc.webUrl(), fc.constant('http://127.0.0.1:1/x')),
      keys: fc.record({ p256dh: fc.string(), auth: fc.base64String() }, { requiredKeys: [] }),
    }),
    topics: fc.array(fc.string({ maxLength: 70 }), { maxLength: 40 }),
    auth: fc.string(),
    token: fc.string(),
    userId: fc.oneof(fc.string(), fc.constant(null)),
    applicationServerKey: fc.string(),
    publicKey: fc.string(),
    privateKey: fc.string(),
    to: fc.dictionary(fc.constantFrom('all', 'topics', 'userIds', 'subscriptionIds'), fc.jsonValue()),
    notification: fc.record(
      {
        title: fc.string(),
        url: fc.string(),
        icon: fc.string(),
        actions: fc.jsonValue(),
        data: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
    ttl: fc.oneof(fc.integer(), fc.double()),
    sendAt: fc.string(),
  },
  { requiredKeys: [] },
);

const send = (route: ReturnType<typeof routes>[number], payload: string | Buffer) =>
  t.server.app.inject({
    method: route.method as 'POST',
    url: route.url,
    headers: { 'content-type': 'application/json', ...(route.admin ? t.admin : {}) },
    payload,
  });

test('nearly valid bodies never cause a 500; every refusal is a JSON error with a code', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes()), nearlyValid, async (route, body) => {
      const res = await send(route, JSON.stringify(body));
      expect(res.statusCode, res.body).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.json().error.code).toMatch(/^ERR_/);
    }),
    { numRuns: 300 },
  );
});

test('arbitrary JSON bodies get a 4xx JSON error and change nothing', async () => {
  const before = await snapshot();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes()), fc.jsonValue(), async (route, body) => {
      const res = await send(route, JSON.stringify(body));
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
      expect(res.json().error.code).toMatch(/^ERR_/);
    }),
    { numRuns: 300 },
  );
  expect(await snapshot()).toBe(before);
});

test('arbitrary bytes as a body get a 4xx JSON error', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...routes()),
      fc.uint8Array({ maxLength: 300 }),
      async (route, bytes) => {
        const res = await send(route, Buffer.from(bytes));
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, res.body).toBeLessThan(500);
      },
    ),
    { numRuns: 200 },
  );
});
