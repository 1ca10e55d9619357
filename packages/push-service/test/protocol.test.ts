import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { PushService } from '../src/index.js';
import { RawClient, vapidKeys } from './helpers.js';

let service: PushService;

beforeAll(async () => {
  service = await PushService.start({ port: 0, maxFrameBytes: 4096 });
});
afterAll(() => service.close());

const channelId = () => crypto.randomUUID();

async function hello(client: RawClient, uaid?: string) {
  return client.request({
    messageType: 'hello',
    broadcasts: {},
    use_webpush: true,
    ...(uaid ? { uaid } : {}),
  });
}

describe('WebSocket protocol (raw clients)', () => {
  test('echoes the push-notification subprotocol', async () => {
    const client = await RawClient.open(service.websocketUrl);
    expect(client.ws.protocol).toBe('push-notification');
    client.close();
  });

  test('hello without uaid gets a new one; hello with a known uaid keeps it; with an unknown one gets a new one', async () => {
    const first = await RawClient.open(service.websocketUrl);
    const reply = await hello(first);
    expect(reply).toEqual({
      messageType: 'hello',
      status: 200,
      uaid: expect.stringMatching(/^[0-9a-f]{32}$/),
      use_webpush: true,
      broadcasts: {},
    });
    const uaid = reply.uaid as string;
    // uaids are kept once they have a registration (like autopush's deferred user creation).
    const register = await first.request({ messageType: 'register', channelID: channelId() });
    expect(register.status).toBe(200);
    first.close();
    await first.closed;

    const again = await RawClient.open(service.websocketUrl);
    expect((await hello(again, uaid)).uaid).toBe(uaid);
    again.close();

    const stranger = await RawClient.open(service.websocketUrl);
    const other = (await hello(stranger, 'f'.repeat(32))).uaid;
    expect(other).not.toBe('f'.repeat(32));
    expect(other).not.toBe(uaid);
    stranger.close();
  });

  test('a second hello with the same uaid takes over and closes the older connection', async () => {
    const a = await RawClient.open(service.websocketUrl);
    const uaid = (await hello(a)).uaid as string;
    await a.request({ messageType: 'register', channelID: channelId() });
    const b = await RawClient.open(service.websocketUrl);
    expect((await hello(b, uaid)).uaid).toBe(uaid);
    expect((await a.closed).code).toBe(1000);
    expect(await b.request('{}')).toEqual({});
    b.close();
  });

  test('register answers an endpoint, is idempotent for the same key, 409 for another, 400 for a bad key', async () => {
    const keys = await vapidKeys();
    const client = await RawClient.open(service.websocketUrl);
    await hello(client);
    const id = channelId();
    const padded = `${keys.publicKeyText}=`;
    const reply = await client.request({ messageType: 'register', channelID: id, key: padded });
    expect(reply).toEqual({
      messageType: 'register',
      channelID: id,
      status: 200,
      pushEndpoint: expect.stringMatching(new RegExp(`^${service.origin}/wpush/v1/[A-Za-z0-9_-]{24}$`)),
    });
    const same = await client.request({ messageType: 'register', channelID: id, key: padded });
    expect(same.pushEndpoint).toBe(reply.pushEndpoint);
    const other = await vapidKeys();
    expect(
      (await client.request({ messageType: 'register', channelID: id, key: other.publicKeyText })).status,
    ).toBe(409);
    const bad = await client.request({ messageType: 'register', channelID: channelId(), key: 'AAAA' });
    expect(bad.status).toBe(400);
    const notBase64 = await client.request({ messageType: 'register', channelID: channelId(), key: '!!!' });
    expect(notBase64.status).toBe(400);
    client.close();
  });

  test('endpoints are unguessable: 144 random bits, never repeated', async () => {
    const client = await RawClient.open(service.websocketUrl);
    await hello(client);
    const tokens = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const reply = await client.request({ messageType: 'register', channelID: channelId() });
      tokens.add(String(reply.pushEndpoint).split('/').pop()!);
    }
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(18);
    client.close();
  });

  test('unregister answers 200 (also for an unknown channel) and makes pushes 410', async () => {
    const client = await RawClient.open(service.websocketUrl);
    await hello(client);
    const id = channelId();
    const { pushEndpoint } = await client.request({ messageType: 'register', channelID: id });
    expect(await client.request({ messageType: 'unregister', channelID: id, code: 200 })).toEqual({
      messageType: 'unregister',
      channelID: id,
      status: 200,
    });
    expect((await client.request({ messageType: 'unregister', channelID: channelId() })).status).toBe(200);
    const response = await fetch(String(pushEndpoint), { method: 'POST', headers: { ttl: '60' } });
    expect(response.status).toBe(410);
    client.close();
  });

  test('notification, ack, nack; broadcast_subscribe is accepted quietly; "{}" is answered "{}"', async () => {
    const client = await RawClient.open(service.websocketUrl);
    const uaid = (await hello(client)).uaid as string;
    const id = channelId();
    const { pushEndpoint } = await client.request({ messageType: 'register', channelID: id });
    client.send({
      messageType: 'broadcast_subscribe',
      broadcasts: { 'remote-settings/monitor_changes': '"0"' },
    });
    const response = await fetch(String(pushEndpoint), {
      method: 'POST',
      headers: { ttl: '60', topic: 'news' },
    });
    expect(response.status).toBe(201);
    // The broadcast_subscribe got no answer: the next frame is the notification.
    const notification = await client.nextJson();
    expect(notification).toEqual({
      messageType: 'notification',
      channelID: id,
      version: response.headers.get('location')!.split('/').pop(),
      ttl: 60,
      topic: 'news',
    });
    expect(service.status().messages).toBeGreaterThan(0);
    const nacked = service.waitFor('ua:nack', (u) => u === uaid);
    client.send({ messageType: 'nack', version: notification.version, code: 301 });
    expect((await nacked)[2]).toBe(301);
    const acked = service.waitFor('ua:ack', (u) => u === uaid);
    client.send({
      messageType: 'ack',
      updates: [{ channelID: id, version: notification.version, code: 100 }],
    });
    await acked;
    expect(service.store.pendingMessages(uaid, Date.now())).toEqual([]);
    expect(await client.request('{}')).toEqual({});
    expect(await client.request({ messageType: 'ping' })).toEqual({});
    client.close();
  });

  describe('bad input closes only the offending connection', () => {
    const cases: Array<[string, (c: RawClient) => void, number, RegExp]> = [
      ['broken JSON', (c) => c.send('{"messageType": "hel'), 1002, /JSON object/],
      ['a JSON array', (c) => c.send('[1,2]'), 1002, /JSON object/],
      [
        'an unknown messageType',
        (c) => c.send({ messageType: 'launch_missiles' }),
        1002,
        /unknown messageType/,
      ],
      [
        'register before hello',
        (c) => c.send({ messageType: 'register', channelID: channelId() }),
        1002,
        /hello first/,
      ],
      ['a binary frame', (c) => c.ws.send(Buffer.from([1, 2, 3])), 1003, /binary/],
      ['an oversized frame', (c) => c.send('x'.repeat(5000)), 1009, /./],
    ];
    test.each(cases)('%s', async (_name, act, code, reason) => {
      const bystander = await RawClient.open(service.websocketUrl);
      await hello(bystander);
      const client = await RawClient.open(service.websocketUrl);
      act(client);
      const closed = await client.closed;
      expect(closed.code).toBe(code);
      if (code !== 1009) expect(closed.reason).toMatch(reason);
      expect(await bystander.request('{}')).toEqual({});
      bystander.close();
    });

    test('a second hello, a non-string uaid, a register without a UUID and a malformed ack', async () => {
      const cases: Array<[afterHello: boolean, message: unknown]> = [
        [true, { messageType: 'hello' }],
        [false, { messageType: 'hello', uaid: 42 }],
        [true, { messageType: 'register', channelID: 'not-a-uuid' }],
        [true, { messageType: 'ack', updates: [{ channelID: 1 }] }],
      ];
      for (const [afterHello, message] of cases) {
        const client = await RawClient.open(service.websocketUrl);
        if (afterHello) await hello(client);
        client.send(message);
        expect((await client.closed).code).toBe(1002);
      }
      expect((await fetch(`${service.origin}/`)).status).toBe(404);
    });
  });
});

describe('idle and dead connections', () => {
  test('a connection that never says hello is closed; a peer that stops answering pings is dropped', async () => {
    const strict = await PushService.start({ port: 0, helloTimeoutMs: 100, pingIntervalSeconds: 0.25 });
    const silent = await RawClient.open(strict.websocketUrl);
    expect(await silent.closed).toEqual({ code: 1002, reason: 'no hello in time' });

    const dead = new WebSocket(strict.websocketUrl, 'push-notification', { autoPong: false });
    await new Promise((resolve) => dead.once('open', resolve));
    const deadHello = strict.waitFor('ua:hello');
    dead.send(JSON.stringify({ messageType: 'hello' }));
    const [deadUaid] = await deadHello;
    const healthy = await RawClient.open(strict.websocketUrl);
    await healthy.request({ messageType: 'hello' });
    const [gone] = await strict.waitFor('ua:disconnect', () => true, 5000);
    expect(gone).toBe(deadUaid);
    // The healthy client answers the pings of the following rounds and stays.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(strict.status().connected).toBe(1);
    expect(await healthy.request('{}')).toEqual({});
    healthy.close();
    dead.terminate();
    await strict.close();
  });
});

test('regression: a protocol violation quoting long non-ASCII input closes cleanly (reason cut to 123 bytes)', async () => {
  const client = await RawClient.open(service.websocketUrl);
  await client.request({ messageType: 'hello' });
  client.send({ messageType: `${'é'.repeat(40)}${'😀'.repeat(30)}` });
  const closed = await client.closed;
  expect(closed.code).toBe(1002);
  expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
  expect(closed.reason).toMatch(/^unknown messageType "é/);
  expect(await (await RawClient.open(service.websocketUrl)).request({ messageType: 'hello' })).toMatchObject({
    status: 200,
  });
});
