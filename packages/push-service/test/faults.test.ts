import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type HeadlessSubscription, HeadlessUserAgent, PushService } from '../src/index.js';
import { push, RawClient } from './helpers.js';

let service: PushService;
let agent: HeadlessUserAgent;
let subscription: HeadlessSubscription;
let bystander: HeadlessSubscription;

beforeAll(async () => {
  service = await PushService.start({ port: 0, control: true });
  agent = await HeadlessUserAgent.connect(service.websocketUrl, { buffer: false });
  subscription = await agent.subscribe();
  bystander = await agent.subscribe();
});
afterEach(() => service.faults.clear());
afterAll(async () => {
  agent.close();
  await service.close();
});

function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return fetch(`${service.controlUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (response) => ({ status: response.status, json: await response.json() }));
}

/** A push that reports a dropped connection as 'dropped' instead of throwing. */
function rawPush(endpoint: string, timeoutMs = 2000): Promise<number | 'dropped' | 'stalled'> {
  return new Promise((resolve) => {
    const req = request(endpoint, { method: 'POST', headers: { ttl: '60' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('stalled');
    });
    req.on('error', () => resolve('dropped'));
    req.end();
  });
}

describe('fault injection (library API)', () => {
  test('status faults per endpoint, with Retry-After, retiring after a count', async () => {
    service.faults.add({
      endpoint: subscription.endpoint,
      action: { type: 'status', status: 429, retryAfterSeconds: 7 },
      count: 2,
    });
    for (let i = 0; i < 2; i++) {
      const response = await push(subscription, null);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect((await response.json()).errno).toBe(201);
    }
    expect((await push(bystander, null)).status).toBe(201);
    expect((await push(subscription, null)).status).toBe(201);
    expect(service.faults.list()).toEqual([]);
  });

  test('500 and 503 globally; a share of pushes', async () => {
    service.faults.add({ action: { type: 'status', status: 500 } });
    const failed = await push(bystander, null);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('retry-after')).toBeNull();
    service.faults.clear();
    service.faults.add({ action: { type: 'status', status: 503 }, share: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 200 }, () => rawPush(subscription.endpoint)));
    const unavailable = statuses.filter((s) => s === 503).length;
    // 200 draws at p = 0.5: outside 60..140 happens with probability < 1e-8.
    expect(unavailable).toBeGreaterThan(60);
    expect(unavailable).toBeLessThan(140);
    expect(statuses.filter((s) => s !== 503).every((s) => s === 201)).toBe(true);
  });

  test('stall (for a while, or until the sender gives up) and drop', async () => {
    service.faults.add({ action: { type: 'stall', ms: 300 }, count: 1 });
    const start = Date.now();
    expect(await rawPush(subscription.endpoint)).toBe(201);
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    service.faults.add({ action: { type: 'stall' }, count: 1 });
    expect(await rawPush(subscription.endpoint, 300)).toBe('stalled');
    service.faults.add({ endpoint: subscription.endpoint, action: { type: 'drop' }, count: 1 });
    expect(await rawPush(subscription.endpoint)).toBe('dropped');
    expect(await rawPush(subscription.endpoint)).toBe(201);
  });

  test('invalid rules are refused with ERR_INVALID_OPTION', () => {
    for (const rule of [
      { action: { type: 'status', status: 418 } },
      { action: { type: 'explode' } },
      { action: { type: 'drop' }, share: 2 },
      { action: { type: 'drop' }, count: 0 },
      { action: { type: 'stall', ms: -1 } },
    ]) {
      expect(() => service.faults.add(rule as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  test('refused connections keep a user agent away until allowed again', async () => {
    service.faults.refuseConnections = true;
    await expect(RawClient.open(service.websocketUrl)).rejects.toThrow(/503/);
    service.faults.refuseConnections = false;
    (await RawClient.open(service.websocketUrl)).close();
  });
});

describe('control API', () => {
  test('is off unless enabled', async () => {
    const plain = await PushService.start({ port: 0 });
    expect((await fetch(`${plain.controlUrl}status`)).status).toBe(404);
    await plain.close();
  });

  test('status, faults (add, list, remove, clear)', async () => {
    const status = await control('GET', 'status');
    expect(status.json).toMatchObject({ connected: 1, clients: 1, channels: 2 });
    const added = await control('POST', 'faults', {
      endpoint: subscription.endpoint,
      action: { type: 'status', status: 503, retryAfterSeconds: 2 },
    });
    expect(added.status).toBe(201);
    const response = await push(subscription, null);
    expect([response.status, response.headers.get('retry-after')]).toEqual([503, '2']);
    const listed = await control('GET', 'faults');
    expect(listed.json.rules).toMatchObject([{ id: added.json.id, hits: 1 }]);
    expect((await control('DELETE', `faults/${added.json.id}`)).status).toBe(200);
    expect((await control('DELETE', `faults/${added.json.id}`)).status).toBe(404);
    await control('POST', 'faults', { action: { type: 'drop' } });
    expect((await control('DELETE', 'faults')).json).toEqual({ cleared: true });
    expect((await push(subscription, null)).status).toBe(201);
  });

  test('bad requests answer 400 with a code; unknown targets 404', async () => {
    expect(await control('POST', 'faults', { action: { type: 'nope' } })).toMatchObject({
      status: 400,
      json: { code: 'ERR_INVALID_OPTION' },
    });
    const broken = await fetch(`${service.controlUrl}faults`, { method: 'POST', body: '{' });
    expect(broken.status).toBe(400);
    expect((await control('POST', 'expire', {})).status).toBe(400);
    expect(
      (await control('POST', 'reset-uaid', { endpoint: `${service.origin}/wpush/v1/unknown` })).status,
    ).toBe(404);
    expect((await control('GET', 'nothing-here')).status).toBe(404);
  });

  test('disconnect a user agent; it stays away while connections are refused, then gets what waited', async () => {
    const ua = await HeadlessUserAgent.connect(service.websocketUrl);
    const sub = await ua.subscribe();
    expect((await control('POST', 'refuse-connections', { refuse: true })).json).toEqual({
      refuseConnections: true,
    });
    const dropped = new Promise((resolve) => ua.once('disconnect', resolve));
    expect((await control('POST', 'disconnect', { endpoint: sub.endpoint })).json).toEqual({
      disconnected: 1,
    });
    expect(await dropped).toBe(1000);
    await expect(ua.reconnect()).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect((await push(sub, 'waited')).status).toBe(201);
    await control('POST', 'refuse-connections', { refuse: false });
    await ua.reconnect();
    expect((await ua.waitForMessage()).text()).toBe('waited');
    ua.close();
  });

  test('expire a subscription (410 errno 103) and reset a uaid (new uaid at the next hello)', async () => {
    const ua = await HeadlessUserAgent.connect(service.websocketUrl);
    const expiring = await ua.subscribe();
    const kept = await ua.subscribe();
    expect((await control('POST', 'expire', { endpoint: expiring.endpoint })).json).toEqual({
      expired: true,
    });
    expect((await (await push(expiring, null)).json()).errno).toBe(103);
    const oldUaid = ua.uaid;
    const changed = new Promise((resolve) => ua.once('subscriptionchange', resolve));
    const dropped = new Promise((resolve) => ua.once('disconnect', resolve));
    expect((await control('POST', 'reset-uaid', { uaid: oldUaid })).json).toEqual({ reset: oldUaid });
    await dropped;
    await ua.reconnect();
    expect(ua.uaid).not.toBe(oldUaid);
    expect(((await changed) as unknown[]).length).toBe(2);
    expect(ua.subscriptions).toEqual([]);
    expect((await (await push(kept, null)).json()).errno).toBe(105);
    ua.close();
  });

  test('disconnect all with backoff closes with 4774', async () => {
    const raw = await RawClient.open(service.websocketUrl);
    await raw.request({ messageType: 'hello' });
    const { json } = await control('POST', 'disconnect', { all: true, backoff: true });
    expect(json.disconnected).toBeGreaterThanOrEqual(1);
    expect((await raw.closed).code).toBe(4774);
    await agent.reconnect();
  });
});
