import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { HeadlessUserAgent, PushService } from '../src/index.js';
import { push, vapidKeys } from './helpers.js';

let service: PushService;
let keys: Awaited<ReturnType<typeof vapidKeys>>;

beforeAll(async () => {
  service = await PushService.start({ port: 0 });
  keys = await vapidKeys();
});
afterAll(() => service.close());

describe('HeadlessUserAgent', () => {
  test('subscribes, receives and decrypts aes128gcm and aesgcm byte for byte, and acks', async () => {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl);
    const subscription = await agent.subscribe({ applicationServerKey: keys.publicKeyText });
    expect(subscription.endpoint.startsWith(`${service.origin}/wpush/v1/`)).toBe(true);
    for (const encoding of ['aes128gcm', 'aesgcm'] as const) {
      const acked = service.waitFor('ua:ack', (_u, channelId) => channelId === subscription.channelId);
      const response = await push(subscription, `héllo ${encoding} ✓`, { vapid: keys, encoding });
      expect(response.status).toBe(201);
      const message = await agent.waitForMessage({ subscription, timeoutMs: 2000 });
      expect(message.text()).toBe(`héllo ${encoding} ✓`);
      expect(message.headers.encoding).toBe(encoding);
      const [, , version, code] = await acked;
      expect([version, code]).toEqual([message.version, 100]);
    }
    expect(service.status().messages).toBe(0);
    agent.close();
  });

  test('messages for a disconnected agent wait and arrive after it reconnects with its uaid', async () => {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl);
    const subscription = await agent.subscribe({ applicationServerKey: keys.publicKeyText });
    const uaid = agent.uaid;
    agent.disconnect();
    await service.waitFor('ua:disconnect', (u) => u === uaid);
    expect((await push(subscription, 'while away', { vapid: keys })).status).toBe(201);
    expect((await push(subscription, 'dropped: ttl 0', { vapid: keys, headers: { ttl: '0' } })).status).toBe(
      201,
    );
    await agent.reconnect();
    expect(agent.uaid).toBe(uaid);
    expect((await agent.waitForMessage({ timeoutMs: 2000 })).text()).toBe('while away');
    await expect(agent.waitForMessage({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    agent.close();
  });
});

describe('HeadlessUserAgent message access', () => {
  test('messages() yields buffered then new messages in order and ends at close()', async () => {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl);
    const subscription = await agent.subscribe();
    expect((await push(subscription, 'one')).status).toBe(201);
    await agent.waitForMessage({ predicate: (m) => m.text() === 'one' });
    expect((await push(subscription, 'two')).status).toBe(201);
    const texts: string[] = [];
    const sender = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await push(subscription, 'three')).status).toBe(201);
    })();
    for await (const message of agent.messages()) {
      texts.push(message.text());
      if (texts.length === 2) break;
    }
    await sender;
    expect(texts).toEqual(['two', 'three']);
    expect(agent.receivedCount).toBe(3);
    const ended = (async () => {
      const rest: string[] = [];
      for await (const message of agent.messages()) rest.push(message.text());
      return rest;
    })();
    agent.close();
    expect(await ended).toEqual([]);
  });

  test('a body it cannot decrypt is acked with 101 and handed over with its error', async () => {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl);
    const subscription = await agent.subscribe();
    const acked = service.waitFor('ua:ack', (_u, channelId) => channelId === subscription.channelId);
    const response = await fetch(subscription.endpoint, {
      method: 'POST',
      headers: { ttl: '60', 'content-encoding': 'aes128gcm' },
      body: new Uint8Array(200).fill(7),
    });
    expect(response.status).toBe(201);
    const message = await agent.waitForMessage();
    expect(message.data).toBeNull();
    expect(message.error).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    expect((await acked)[3]).toBe(101);
    agent.close();
  });
});

describe('HeadlessUserAgent with autoReconnect', () => {
  test('comes back by itself after the service drops it, retrying while refused, but not after 4774', async () => {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl, { autoReconnect: { retryMs: 50 } });
    const subscription = await agent.subscribe();
    const uaid = agent.uaid;
    service.faults.refuseConnections = true;
    service.disconnect({ uaid });
    expect((await push(subscription, 'sent while refused')).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(agent.connected).toBe(false);
    const back = service.waitFor('ua:hello', (u, reused) => u === uaid && reused);
    service.faults.refuseConnections = false;
    await back;
    expect((await agent.waitForMessage()).text()).toBe('sent while refused');

    const dropped = new Promise((resolve) => agent.once('disconnect', resolve));
    service.disconnect({ uaid }, { backoff: true });
    expect(await dropped).toBe(4774);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(agent.connected).toBe(false);
    agent.close();
  });

  test('disconnect() keeps it away until reconnect()', async () => {
    const agent = await HeadlessUserAgent.connect(service.websocketUrl, { autoReconnect: { retryMs: 20 } });
    agent.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(agent.connected).toBe(false);
    await agent.reconnect();
    expect(agent.connected).toBe(true);
    agent.close();
  });
});

test('a message sent again (its ack was lost with the socket) is acked again but handed over once', async () => {
  const agent = await HeadlessUserAgent.connect(service.websocketUrl);
  const subscription = await agent.subscribe();
  const uaid = agent.uaid;
  // Hold the ack back: the service keeps the message and sends it again at the next hello.
  const originalSend = WebSocket.prototype.send;
  let blocked = true;
  WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
    if (blocked && typeof data === 'string' && data.includes('"ack"')) return;
    return (originalSend as (...args: unknown[]) => void).call(this, data, ...rest);
  } as typeof WebSocket.prototype.send;
  try {
    expect((await push(subscription, 'once')).status).toBe(201);
    expect((await agent.waitForMessage()).text()).toBe('once');
  } finally {
    blocked = false;
    WebSocket.prototype.send = originalSend;
  }
  expect(service.store.pendingMessages(uaid, Date.now())).toHaveLength(1);
  agent.disconnect();
  const resent = service.waitFor('ua:ack', (u) => u === uaid);
  await agent.reconnect();
  await resent;
  expect(service.store.pendingMessages(uaid, Date.now())).toEqual([]);
  await expect(agent.waitForMessage({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  expect(agent.receivedCount).toBe(1);
  agent.close();
});

test('acks that arrive while the service is dropping the connection still count', async () => {
  const agent = await HeadlessUserAgent.connect(service.websocketUrl);
  const subscription = await agent.subscribe();
  const uaid = agent.uaid;
  expect((await push(subscription, 'acked on the way out')).status).toBe(201);
  await agent.waitForMessage();
  // The ack is on the wire; the service drops the connection before reading it.
  const acked = service.waitFor('ua:ack', (u) => u === uaid);
  service.disconnect({ uaid });
  await acked;
  expect(service.store.pendingMessages(uaid, Date.now())).toEqual([]);
  agent.close();
});
