import { afterAll, beforeAll, expect, test } from 'vitest';
import { fakeBrowserSubscription, type TestServer, testServer } from './helpers/server.js';

/**
 * The error paths that depend on the HTTP layer itself, over a real socket: body limits with a
 * real Content-Length, the rate limiter keyed on the socket's address, 401 with its header,
 * CORS preflight, JSON 404 for unknown routes.
 */
let t: TestServer;
beforeAll(async () => {
  t = await testServer(
    { HERALD_RATE_LIMIT: '5', HERALD_CORS_ORIGINS: 'https://site.example' },
    { listen: true },
  );
});
afterAll(async () => {
  await t.dispose();
});

const call = (path: string, init: RequestInit = {}) => fetch(new URL(path, t.server.url), init);

test('public routes over a socket: subscribe, oversized body 413, then 429 with Retry-After', async () => {
  const ok = await call('/api/v1/subscriptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'https://site.example' },
    body: JSON.stringify({ subscription: fakeBrowserSubscription() }),
  });
  expect(ok.status).toBe(201);
  expect(ok.headers.get('access-control-allow-origin')).toBe('https://site.example');

  const big = await call('/api/v1/subscriptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subscription: fakeBrowserSubscription(), x: 'y'.repeat(100_000) }),
  });
  expect(big.status).toBe(413);
  expect((await big.json()).error.code).toBe('ERR_BODY_TOO_LARGE');

  const preflight = await call('/api/v1/subscriptions', {
    method: 'OPTIONS',
    headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' },
  });
  expect(preflight.status).toBe(204);

  let limited: Response | undefined;
  for (let i = 0; i < 6 && !limited; i++) {
    const res = await call('/api/v1/vapid-public-key');
    if (res.status === 429) limited = res;
    else await res.arrayBuffer();
  }
  expect(limited).toBeDefined();
  expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await limited!.json()).error.code).toBe('ERR_RATE_LIMITED');
  expect(await t.server.storage.countSubscriptions()).toBe(1);
});

test('admin routes over a socket: 401 with WWW-Authenticate; unknown routes are JSON 404s', async () => {
  const res = await call('/api/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
    body: JSON.stringify({ to: { all: true }, notification: { title: 'x' } }),
  });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer');

  const missing = await call('/api/v2/anything');
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({
    error: { code: 'ERR_NOT_FOUND', message: 'no route GET /api/v2/anything' },
  });
  expect(await t.server.storage.listMessages({ limit: 10 })).toEqual([]);
});
