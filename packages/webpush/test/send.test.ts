import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decrypt } from '../src/ece/decrypt.js';
import { WebPushError } from '../src/errors.js';
import { sendNotification } from '../src/send/send-notification.js';
import type { Transport } from '../src/send/transport.js';
import {
  type Certificate,
  selfSignedCertificate,
  startServer,
  type TestServer,
} from './helpers/http-server.js';
import { subscriber } from './helpers/subscriber.js';
import { transportFactories } from './helpers/transports.js';

const mozillaVapidError = JSON.stringify({
  code: 401,
  errno: 109,
  error: 'Unauthorized',
  message: 'Request did not validate Invalid Authorization Header',
});

/** Answers by path: /status/:code, /stall, /stall-body, /reset, /redirect, /big. */
async function pushService(tls?: Certificate): Promise<TestServer> {
  return startServer((request, response) => {
    const url = new URL(request.url!, 'http://x');
    const [, action, arg] = url.pathname.split('/');
    switch (action) {
      case 'status': {
        const status = Number(arg);
        const headers: Record<string, string> = {};
        for (const [name, value] of url.searchParams) headers[name] = value;
        response.writeHead(status, headers);
        response.end(status === 401 ? mozillaVapidError : status === 403 ? '{"reason":"BadJwtToken"}' : '');
        return;
      }
      case 'stall':
        return;
      case 'stall-body':
        response.writeHead(201, { 'content-length': '100' });
        response.write('partial');
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'redirect':
        response.writeHead(302, { location: url.searchParams.get('to')! });
        response.end();
        return;
      case 'big':
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('y'.repeat(1_000_000));
        return;
      default:
        response.writeHead(201);
        response.end();
    }
  }, tls);
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe.each(transportFactories)('%s transport', (_name, makeTransport) => {
  let server: TestServer;
  let transport: Transport;
  beforeAll(async () => {
    server = await pushService();
    transport = makeTransport();
  });
  afterAll(async () => {
    await transport.close();
    await server.close();
  });

  async function send(
    path: string,
    options: Parameters<typeof sendNotification>[2] = {},
    payload: string | null = 'hi',
  ) {
    const ua = await subscriber(`${server.url}${path}`);
    return sendNotification(ua.json, payload, { allowHttp: true, transport, ...options });
  }

  test('each status of the classification table, over a real socket', async () => {
    const date = new Date(Date.now() + 60_000).toUTCString();
    const cases: [string, object][] = [
      ['/status/201?location=/m/1', { kind: 'delivered', status: 201, location: '/m/1' }],
      ['/status/202', { kind: 'delivered', status: 202 }],
      ['/status/404', { kind: 'gone', status: 404 }],
      ['/status/410', { kind: 'gone', status: 410 }],
      ['/status/413', { kind: 'payload-too-large', status: 413, retryable: false }],
      ['/status/429?retry-after=7', { kind: 'throttled', status: 429, retryAfterMs: 7000 }],
      [`/status/503?retry-after=${encodeURIComponent(date)}`, { kind: 'throttled', status: 503 }],
      ['/status/400', { kind: 'bad-request', status: 400 }],
      [
        '/status/401',
        { kind: 'unauthorized', status: 401, errno: 109, reason: expect.stringMatching(/validate/) },
      ],
      ['/status/403', { kind: 'unauthorized', status: 403, reason: 'BadJwtToken' }],
      ['/status/500', { kind: 'push-service-error', status: 500, retryable: true }],
      ['/status/418', { kind: 'push-service-error', status: 418, retryable: false }],
    ];
    for (const [path, expected] of cases) {
      expect(await send(path), path).toMatchObject(expected);
    }
    const throttled = await send(`/status/503?retry-after=${encodeURIComponent(date)}`);
    expect(throttled.kind === 'throttled' && throttled.retryAfterMs).toBeGreaterThan(50_000);
  });

  test('the push service receives the headers and a body the subscriber can decrypt', async () => {
    const ua = await subscriber(`${server.url}/status/201`);
    const before = server.requests.length;
    await sendNotification(ua.json, 'héllo', {
      allowHttp: true,
      transport,
      ttl: 60,
      urgency: 'high',
      topic: 't1',
    });
    const seen = server.requests[before]!;
    expect(seen.method).toBe('POST');
    expect(seen.headers).toMatchObject({
      ttl: '60',
      urgency: 'high',
      topic: 't1',
      'content-encoding': 'aes128gcm',
      'content-type': 'application/octet-stream',
      'content-length': String(seen.body.length),
    });
    const plaintext = await decrypt(new Uint8Array(seen.body), ua, { contentEncoding: 'aes128gcm' });
    expect(new TextDecoder().decode(plaintext)).toBe('héllo');
  });

  test('a redirect is a push-service-error and is not followed', async () => {
    const elsewhere = await pushService();
    try {
      const result = await send(`/redirect?to=${encodeURIComponent(`${elsewhere.url}/status/201`)}`);
      expect(result).toMatchObject({ kind: 'push-service-error', status: 302, retryable: false });
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  test('a server that never answers times out within the bound, and the socket is destroyed', async () => {
    const closedBefore = server.closedSockets();
    const started = performance.now();
    const result = await send('/stall', { timeout: 300 });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ kind: 'timeout', retryable: true, error: { code: 'ERR_TIMEOUT' } });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1300);
    await until(() => server.closedSockets() > closedBefore);
  });

  test('a body that stalls half way times out too', async () => {
    const started = performance.now();
    const result = await send('/stall-body', { timeout: 300 });
    expect(result.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1300);
  });

  test('a reset connection and a refused one are network errors', async () => {
    expect(await send('/reset')).toMatchObject({ kind: 'network-error', error: { code: 'ERR_NETWORK' } });
    const gone = await startServer(() => {});
    const url = gone.url;
    await gone.close();
    const ua = await subscriber(`${url}/x`);
    const refused = await sendNotification(ua.json, null, { allowHttp: true, transport });
    expect(refused).toMatchObject({ kind: 'network-error', status: undefined });
    if (refused.kind !== 'network-error') throw new Error('unreachable');
    expect(refused.error.message).toMatch(/ECONNREFUSED/);
  });

  test('only maxResponseBytes of a huge answer are read', async () => {
    const ua = await subscriber(`${server.url}/big`);
    const request = {
      url: ua.json.endpoint,
      origin: server.url,
      method: 'POST' as const,
      headers: {},
      body: null,
    };
    const response = await transport.send(request, { timeout: 5000, maxResponseBytes: 100 });
    expect(response.status).toBe(500);
    expect(response.body).toBe('y'.repeat(100));
    const result = await send('/big');
    expect(result).toMatchObject({ kind: 'push-service-error', body: 'y'.repeat(512) });
  });

  test('connections are kept alive and reused', async () => {
    const own = await pushService();
    const reused = makeTransport();
    try {
      const ua = await subscriber(`${own.url}/status/201`);
      for (let i = 0; i < 10; i++) {
        expect((await sendNotification(ua.json, null, { allowHttp: true, transport: reused })).kind).toBe(
          'delivered',
        );
      }
      expect(own.requests).toHaveLength(10);
      // undici's Pool opens one spare connection when its first one is busy, hence 2, not 10.
      expect(own.openedSockets()).toBeLessThanOrEqual(2);
    } finally {
      await reused.close();
      await own.close();
    }
  });

  test("the caller's abort rejects with its reason", async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 50);
    await expect(send('/stall', { signal: controller.signal })).rejects.toBe(reason);
  });

  test('a closed transport refuses to send with ERR_TRANSPORT_CLOSED', async () => {
    const closed = makeTransport();
    await closed.close();
    await expect(send('/status/201', { transport: closed })).rejects.toMatchObject({
      code: 'ERR_TRANSPORT_CLOSED',
    });
  });

  test('invalid delivery options throw before sending', async () => {
    const before = server.requests.length;
    await expect(send('/status/201', { timeout: 0 })).rejects.toBeInstanceOf(WebPushError);
    await expect(send('/status/201', { timeout: 1.5 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(server.requests.length).toBe(before);
  });

  test('HTTPS with a self-signed certificate the transport was told to trust', async () => {
    const tls = await selfSignedCertificate();
    const secure = await pushService(tls);
    const trusting = makeTransport(tls);
    try {
      const ua = await subscriber(`${secure.url}/status/201?location=/m/9`);
      expect(ua.json.endpoint.startsWith('https://127.0.0.1:')).toBe(true);
      const result = await sendNotification(ua.json, 'over tls', { transport: trusting });
      expect(result).toMatchObject({ kind: 'delivered', location: '/m/9' });
      // Without trust in the certificate the TLS handshake fails: a network error, not a crash.
      const untrusting = await sendNotification(ua.json, 'x', { transport });
      expect(untrusting.kind).toBe('network-error');
    } finally {
      await trusting.close();
      await secure.close();
    }
  });
});
