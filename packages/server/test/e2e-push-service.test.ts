import { HeadlessUserAgent, PushService } from '@herald/push-service';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebPushSender } from '../src/delivery/webpush-sender.js';
import { type TestServer, testServer } from './helpers/server.js';

/**
 * The whole chain with real parts: headless user agents of @herald/push-service subscribe with
 * the server's VAPID key and register through the public API over HTTP; messages go through the
 * API, the worker, @herald/webpush (real encryption and VAPID, which the push service checks)
 * and the push service to the agents, which decrypt them.
 */
describe.each([
  { dialect: 'sqlite', postgres: false },
  { dialect: 'postgres', postgres: true },
])('end to end with @herald/push-service on $dialect', ({ postgres }) => {
  let service: PushService;
  let herald: TestServer;
  const agents: HeadlessUserAgent[] = [];

  beforeAll(async () => {
    service = await PushService.start({ port: 0 });
    herald = await testServer(
      { HERALD_ALLOW_PUSH_HOSTS: '127.0.0.1:*', HERALD_SITE_URL: 'https://site.example/' },
      {
        listen: true,
        sender: new WebPushSender({ threads: 0, timeoutMs: 5_000 }),
        worker: { idleMs: 20 },
        postgres,
      },
    );
  });
  afterAll(async () => {
    for (const agent of agents) agent.close();
    await herald?.dispose();
    await service?.close();
  });

  async function api(path: string, init: { method?: string; body?: unknown; admin?: boolean } = {}) {
    const response = await fetch(new URL(path, herald.server.url), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.admin ? herald.admin : {}),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function browser(topics: string[]) {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl);
    agents.push(agent);
    const { body } = await api('/api/v1/vapid-public-key');
    const subscription = await agent.subscribe({ applicationServerKey: body.publicKey });
    const registered = await api('/api/v1/subscriptions', {
      body: { subscription: subscription.toJSON(), topics, applicationServerKey: body.publicKey },
    });
    expect(registered.status).toBe(201);
    return { agent, subscription, id: registered.body.id as string };
  }

  async function waitForStatus(id: string, status: string) {
    for (let i = 0; i < 200; i++) {
      const { body } = await api(`/api/v1/messages/${id}`, { admin: true });
      if (body.status === status) return body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`message ${id} never reached ${status}`);
  }

  test('a message to a topic arrives, decrypted, at exactly that topic’s subscribers', async () => {
    const news1 = await browser(['news']);
    const sport = await browser(['sport']);
    const news2 = await browser(['news', 'sport']);

    const sent = await api('/api/v1/messages', {
      admin: true,
      body: {
        to: { topics: ['news'] },
        notification: { title: 'Extra!', body: 'Read all about it', url: '/n/1' },
        ttl: 60,
      },
    });
    expect(sent.status).toBe(202);

    for (const { agent, subscription, id } of [news1, news2]) {
      const message = await agent.waitForMessage({ subscription, timeoutMs: 5_000 });
      expect(JSON.parse(message.text())).toEqual({
        web_push: 8030,
        notification: { title: 'Extra!', body: 'Read all about it', navigate: 'https://site.example/n/1' },
        mutable: true,
        herald: {
          message: sent.body.id,
          subscription: id,
          receipt: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        },
      });
    }
    const done = await waitForStatus(sent.body.id, 'completed');
    expect(done.counts).toMatchObject({ targeted: 2, sent: 2, failed: 0, gone: 0, pending: 0 });
    await expect(
      sport.agent.waitForMessage({ subscription: sport.subscription, timeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: 'ERR_TIMEOUT',
    });
  });

  test('after a VAPID key rotation old and new subscribers both receive; an unsubscribed endpoint is pruned', async () => {
    const old = await browser(['rotation']);
    const rotated = await api('/api/v1/vapid-keys/rotate', { method: 'POST', admin: true });
    expect(rotated.status).toBe(201);
    const fresh = await browser(['rotation']);
    expect(fresh.subscription.endpoint).not.toBe(old.subscription.endpoint);
    const leaving = await browser(['rotation']);
    await leaving.agent.unsubscribe(leaving.subscription);

    const sent = await api('/api/v1/messages', {
      admin: true,
      body: { to: { topics: ['rotation'] }, notification: { title: 'Still here' } },
    });
    for (const { agent, subscription } of [old, fresh]) {
      const message = await agent.waitForMessage({ subscription, timeoutMs: 5_000 });
      expect(JSON.parse(message.text()).notification.title).toBe('Still here');
    }
    const done = await waitForStatus(sent.body.id, 'completed');
    expect(done.counts).toMatchObject({ targeted: 3, sent: 2, gone: 1 });
    expect((await api(`/api/v1/subscriptions/${leaving.id}`, { admin: true })).status).toBe(404);
    expect((await api(`/api/v1/subscriptions/${old.id}`, { admin: true })).status).toBe(200);
  });
});
