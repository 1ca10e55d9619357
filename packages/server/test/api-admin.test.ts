import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fakeBrowserSubscription, type TestServer, testServer } from './helpers/server.js';

// The whole admin API on both storages: bad input must change nothing and never 500 on either.
describe.each([
  { dialect: 'sqlite', postgres: false },
  { dialect: 'postgres', postgres: true },
])('admin API on $dialect', ({ dialect, postgres }) => {
  let t: TestServer;
  beforeEach(async () => {
    t = await testServer({ HERALD_SITE_URL: 'https://site.example/' }, { postgres });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const inject = (
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = t.admin,
  ) =>
    t.server.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function subscribe(topics: string[] = [], endpoint?: string): Promise<string> {
    const res = await inject(
      'POST',
      '/api/v1/subscriptions',
      { subscription: fakeBrowserSubscription(endpoint), topics },
      {},
    );
    expect(res.statusCode).toBe(201);
    return res.json().id;
  }

  const adminRoutes: [string, string, unknown?][] = [
    ['GET', '/api/v1/subscriptions'],
    ['GET', '/api/v1/subscriptions/sub_x'],
    ['DELETE', '/api/v1/subscriptions/sub_x'],
    ['PUT', '/api/v1/subscriptions/sub_x/user', { userId: 'u' }],
    ['POST', '/api/v1/link-tokens', { userId: 'u' }],
    ['POST', '/api/v1/subscriptions/import', []],
    ['POST', '/api/v1/messages', { to: { all: true }, notification: { title: 'x' } }],
    ['GET', '/api/v1/messages'],
    ['GET', '/api/v1/messages/msg_x'],
    ['GET', '/api/v1/stats'],
    ['POST', '/api/v1/messages/msg_x/cancel'],
    ['GET', '/api/v1/vapid-keys'],
    ['POST', '/api/v1/vapid-keys/rotate'],
    ['POST', '/api/v1/vapid-keys/import', { publicKey: 'x', privateKey: 'y' }],
    ['GET', '/api/v1/api-keys'],
    ['POST', '/api/v1/api-keys', { name: 'x' }],
    ['DELETE', '/api/v1/api-keys/key_x'],
  ];

  test('every admin route refuses a missing, malformed, wrong or revoked key with 401 and changes nothing', async () => {
    await subscribe(['a']);
    const created = (await inject('POST', '/api/v1/api-keys', { name: 'to revoke' })).json();
    expect((await inject('DELETE', `/api/v1/api-keys/${created.id}`)).statusCode).toBe(204);
    const wrongSecret =
      `${t.apiKey.slice(0, -4)}AAAA` === t.apiKey
        ? `${t.apiKey.slice(0, -4)}BBBB`
        : `${t.apiKey.slice(0, -4)}AAAA`;
    const badHeaders: Record<string, string>[] = [
      {},
      { authorization: t.apiKey },
      { authorization: 'Basic abc' },
      { authorization: `Bearer ${wrongSecret}` },
      { authorization: `Bearer ${created.key}` },
      {
        authorization: 'Bearer hk_key_00000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      },
    ];
    const before = {
      subs: await t.server.storage.listSubscriptions({ limit: 100 }),
      keys: await t.server.storage.listVapidKeys(),
      apiKeys: (await t.server.storage.listApiKeys()).length,
      messages: await t.server.storage.listMessages({ limit: 100 }),
    };
    for (const [method, url, body] of adminRoutes) {
      for (const headers of badHeaders) {
        const res = await inject(method, url, body, headers);
        expect([method, url, res.statusCode, res.json().error.code]).toEqual([
          method,
          url,
          401,
          'ERR_UNAUTHORIZED',
        ]);
      }
    }
    expect(await t.server.storage.listSubscriptions({ limit: 100 })).toEqual(before.subs);
    expect(await t.server.storage.listVapidKeys()).toEqual(before.keys);
    expect((await t.server.storage.listApiKeys()).length).toBe(before.apiKeys);
    expect(await t.server.storage.listMessages({ limit: 100 })).toEqual(before.messages);
  });

  test('HERALD_API_KEY is accepted as an admin key, and then no key is generated', async () => {
    const configured = await testServer({ HERALD_API_KEY: 'my-own-admin-key-0123456789' }, { postgres });
    try {
      expect(configured.server.generatedApiKey).toBeUndefined();
      expect(configured.printed.join('\n')).not.toContain('Admin API key');
      const res = await configured.server.app.inject({
        url: '/api/v1/vapid-keys',
        headers: { authorization: 'Bearer my-own-admin-key-0123456789' },
      });
      expect(res.statusCode).toBe(200);
    } finally {
      await configured.dispose();
    }
  });

  describe('subscriptions (admin)', () => {
    test('list filters by topic and user, paginates with a cursor; get; link a user; delete', async () => {
      const ids = [await subscribe(['a']), await subscribe(['a', 'b']), await subscribe(['b'])];
      const page1 = (await inject('GET', '/api/v1/subscriptions?limit=2')).json();
      expect(page1.items.map((s: { id: string }) => s.id)).toEqual(ids.slice(0, 2));
      expect(page1.nextCursor).toBe(ids[1]);
      const page2 = (await inject('GET', `/api/v1/subscriptions?limit=2&cursor=${page1.nextCursor}`)).json();
      expect(page2).toMatchObject({ items: [{ id: ids[2] }], nextCursor: null });
      const b = (await inject('GET', '/api/v1/subscriptions?topic=b')).json();
      expect(b.items.map((s: { id: string }) => s.id)).toEqual(ids.slice(1));

      const linked = await inject('PUT', `/api/v1/subscriptions/${ids[0]}/user`, { userId: 'user-1' });
      expect(linked.statusCode).toBe(200);
      expect(linked.json()).toMatchObject({
        id: ids[0],
        userId: 'user-1',
        topics: ['a'],
        pushService: 'https://fcm.googleapis.com',
      });
      const byUser = (await inject('GET', '/api/v1/subscriptions?userId=user-1')).json();
      expect(byUser.items.map((s: { id: string }) => s.id)).toEqual([ids[0]]);
      const one = (await inject('GET', `/api/v1/subscriptions/${ids[0]}`)).json();
      expect(one.keys.p256dh).toMatch(/^B/);
      expect(
        (await inject('PUT', `/api/v1/subscriptions/${ids[0]}/user`, { userId: null })).json().userId,
      ).toBeNull();

      expect((await inject('DELETE', `/api/v1/subscriptions/${ids[0]}`)).statusCode).toBe(204);
      const gone = await inject('GET', `/api/v1/subscriptions/${ids[0]}`);
      expect(gone.statusCode).toBe(404);
      expect(gone.json().error.code).toBe('ERR_NOT_FOUND');
      expect((await inject('DELETE', `/api/v1/subscriptions/${ids[0]}`)).statusCode).toBe(404);
      expect((await inject('PUT', '/api/v1/subscriptions/sub_x/user', { userId: 'u' })).statusCode).toBe(404);
      expect((await inject('GET', '/api/v1/subscriptions?limit=0')).statusCode).toBe(400);
      expect((await inject('GET', '/api/v1/subscriptions?colour=red')).statusCode).toBe(400);
    });

    test('a configuration problem reported by the push service shows as configError', async () => {
      const id = await subscribe(['a']);
      expect((await inject('GET', `/api/v1/subscriptions/${id}`)).json().configError).toBeNull();
      // Scheduled an hour ahead, so this server's own worker leaves it to the claim below.
      const sendAt = Date.now() + 3_600_000;
      const created = await inject('POST', '/api/v1/messages', {
        to: { subscriptionIds: [id] },
        notification: { title: 'Hi' },
        sendAt: new Date(sendAt).toISOString(),
      });
      expect(created.statusCode).toBe(202);
      const claimed = await t.server.storage.claimChunk('test-worker', sendAt + 1, 30_000, 10);
      expect(claimed?.targets.map((target) => target.id)).toEqual([id]);
      const error = '403 Forbidden: the VAPID key does not match the subscription';
      await t.server.storage.recordChunk(
        claimed!.chunk,
        'test-worker',
        [{ subscriptionId: id, result: 'failed', attempts: 1, status: 403, error, configError: true }],
        sendAt + 2,
      );
      expect((await inject('GET', `/api/v1/subscriptions/${id}`)).json().configError).toBe(error);
      const listed = (await inject('GET', '/api/v1/subscriptions?topic=a')).json();
      expect(listed.items).toMatchObject([{ id, configError: error }]);
    });
  });

  describe('messages', () => {
    test('create answers 202 with an id; get shows counts; list is newest first; cancel once, then 409', async () => {
      await subscribe(['news']);
      const res = await inject('POST', '/api/v1/messages', {
        to: { topics: ['news'] },
        notification: {
          title: 'Hello',
          body: 'World',
          url: '/a',
          actions: [{ action: 'open', title: 'Open' }],
        },
        ttl: 60,
        urgency: 'high',
        topic: 'breaking',
        sendAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(res.statusCode).toBe(202);
      const { id, status } = res.json();
      expect(status).toBe('scheduled');
      const message = (await inject('GET', `/api/v1/messages/${id}`)).json();
      expect(message).toMatchObject({
        id,
        status: 'scheduled',
        ttl: 60,
        urgency: 'high',
        topic: 'breaking',
        counts: { targeted: 0, sent: 0, failed: 0, gone: 0, pending: 0, delivered: 0, clicked: 0 },
      });
      const stored = await t.server.storage.getMessage(id);
      expect(JSON.parse(stored!.payload)).toEqual({
        web_push: 8030,
        notification: {
          title: 'Hello',
          body: 'World',
          navigate: 'https://site.example/a',
          actions: [{ action: 'open', title: 'Open', navigate: 'https://site.example/a' }],
        },
        mutable: true,
      });
      const second = (
        await inject('POST', '/api/v1/messages', { to: { all: true }, notification: { title: 'B' } })
      ).json();
      const list = (await inject('GET', '/api/v1/messages?limit=1')).json();
      expect(list.items.map((m: { id: string }) => m.id)).toEqual([second.id]);
      expect((await inject('GET', `/api/v1/messages?cursor=${list.nextCursor}`)).json().items[0].id).toBe(id);

      const cancelled = await inject('POST', `/api/v1/messages/${id}/cancel`);
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json().status).toBe('cancelled');
      const again = await inject('POST', `/api/v1/messages/${id}/cancel`);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('ERR_CONFLICT');
      expect((await inject('POST', '/api/v1/messages/msg_x/cancel')).statusCode).toBe(404);
      expect((await inject('GET', '/api/v1/messages/msg_x')).statusCode).toBe(404);
    });

    test('cancel with unlessStarted takes a scheduled message but refuses one a worker has started', async () => {
      await subscribe(['news']);
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const schedule = async () =>
        (
          await inject('POST', '/api/v1/messages', {
            to: { topics: ['news'] },
            notification: { title: 'Later' },
            sendAt: later,
          })
        ).json().id as string;
      const waiting = await schedule();
      const cancelled = await inject('POST', `/api/v1/messages/${waiting}/cancel?unlessStarted=true`);
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json().status).toBe('cancelled');

      // A worker that looks after sendAt claims the other one: it is sending now.
      const started = await schedule();
      const claim = await t.server.storage.claimChunk('test-worker', Date.parse(later) + 1, 60_000, 10);
      expect(claim?.message.id).toBe(started);
      const refused = await inject('POST', `/api/v1/messages/${started}/cancel?unlessStarted=true`);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({
        code: 'ERR_CONFLICT',
        message: expect.stringContaining('started'),
      });
      expect((await t.server.storage.getMessage(started))!.status).toBe('sending');
      // Without the guard the operator can still stop a broadcast on its way.
      expect((await inject('POST', `/api/v1/messages/${started}/cancel`)).json().status).toBe('cancelled');
      expect(
        (await inject('POST', `/api/v1/messages/${started}/cancel?unlessStarted=maybe`)).statusCode,
      ).toBe(400);
    });

    test('a notification too large for one push message is refused with its size, and nothing is queued', async () => {
      const res = await inject('POST', '/api/v1/messages', {
        to: { all: true },
        notification: { title: 'Big', body: 'x'.repeat(2_900) },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
      expect(res.json().error.message).toMatch(/makes a 3\d{3}-byte push payload.*at most 3000/);
      expect(await t.server.storage.listMessages({ limit: 10 })).toEqual([]);
    });

    test('idempotency key: the same request gives the same message; a different one conflicts', async () => {
      const body = { to: { all: true }, notification: { title: 'Once' }, idempotencyKey: 'k-1' };
      const a = await inject('POST', '/api/v1/messages', body);
      const b = await inject('POST', '/api/v1/messages', body);
      expect(b.json().id).toBe(a.json().id);
      const c = await inject('POST', '/api/v1/messages', { ...body, notification: { title: 'Other' } });
      expect(c.statusCode).toBe(409);
      expect((await t.server.storage.listMessages({ limit: 10 })).length).toBe(1);
    });

    test('invalid messages are refused with the field: targets, ttl, urgency, topic, sendAt, urls', async () => {
      const bad: [object, string][] = [
        [{ to: {}, notification: { title: 'x' } }, 'to'],
        [{ to: { all: true, topics: ['a'] }, notification: { title: 'x' } }, 'to'],
        [{ to: { all: false }, notification: { title: 'x' } }, 'all'],
        [{ to: { all: true }, notification: {} }, 'title'],
        [{ to: { all: true }, notification: { title: 'x' }, ttl: -1 }, 'ttl'],
        [{ to: { all: true }, notification: { title: 'x' }, ttl: 2_419_201 }, 'ttl'],
        [{ to: { all: true }, notification: { title: 'x' }, urgency: 'now' }, 'urgency'],
        [{ to: { all: true }, notification: { title: 'x' }, topic: 'has space' }, 'topic'],
        [{ to: { all: true }, notification: { title: 'x' }, topic: 'x'.repeat(33) }, 'topic'],
        [{ to: { all: true }, notification: { title: 'x' }, sendAt: 'tomorrow' }, 'sendAt'],
        [{ to: { all: true }, notification: { title: 'x', url: 'http://[bad' } }, 'url'],
        [{ to: { all: true }, notification: { title: 'x', colour: 'red' } }, 'colour'],
      ];
      for (const [body, field] of bad) {
        const res = await inject('POST', '/api/v1/messages', body);
        expect([field, res.statusCode, res.json().error.code]).toEqual([field, 400, 'ERR_INVALID_REQUEST']);
        expect(res.json().error.message).toContain(field === 'colour' ? 'additional' : field);
      }
      expect(await t.server.storage.listMessages({ limit: 10 })).toEqual([]);
    });
  });

  describe('VAPID keys', () => {
    test('list, rotate (old subscriptions keep their key), import a pair and refuse a mismatched one', async () => {
      const oldSub = await subscribe();
      const [first] = (await inject('GET', '/api/v1/vapid-keys')).json().items;
      expect(first).toMatchObject({ active: true });
      expect(first.privateKey).toBeUndefined();
      const rotated = await inject('POST', '/api/v1/vapid-keys/rotate');
      expect(rotated.statusCode).toBe(201);
      expect((await inject('GET', '/api/v1/vapid-public-key', undefined, {})).json().publicKey).toBe(
        rotated.json().publicKey,
      );
      const newSub = await subscribe();
      expect((await t.server.storage.getSubscription(oldSub))!.vapidKeyId).toBe(first.id);
      expect((await t.server.storage.getSubscription(newSub))!.vapidKeyId).toBe(rotated.json().id);

      const { generateVapidKeyPair } = await import('../src/vapid-key-ring.js');
      const pair = await generateVapidKeyPair();
      const other = await generateVapidKeyPair();
      const mismatched = await inject('POST', '/api/v1/vapid-keys/import', {
        publicKey: pair.publicKey,
        privateKey: other.privateKey,
      });
      expect(mismatched.statusCode).toBe(400);
      expect(mismatched.json().error.message).toContain('does not belong');
      const notAPoint = await inject('POST', '/api/v1/vapid-keys/import', {
        publicKey: 'AAAA',
        privateKey: pair.privateKey,
      });
      expect(notAPoint.statusCode).toBe(400);
      expect((await inject('GET', '/api/v1/vapid-keys')).json().items).toHaveLength(2);

      const imported = await inject('POST', '/api/v1/vapid-keys/import', pair);
      expect(imported.statusCode).toBe(201);
      expect(imported.json()).toMatchObject({ publicKey: pair.publicKey, active: false });
      const importedSub = await inject(
        'POST',
        '/api/v1/subscriptions',
        { subscription: fakeBrowserSubscription(), applicationServerKey: pair.publicKey },
        {},
      );
      expect((await t.server.storage.getSubscription(importedSub.json().id))!.vapidKeyId).toBe(
        imported.json().id,
      );
      const activated = await inject('POST', '/api/v1/vapid-keys/import', { ...pair, activate: true });
      expect(activated.json().active).toBe(true);

      // Node's ECDH.getPrivateKey() drops leading zero octets: tools built on it export one key in
      // 256 as a 31-byte scalar. Such a pair imports, stored as the 32-byte scalar.
      let short = await generateVapidKeyPair();
      while (!short.privateKey.startsWith('AA')) short = await generateVapidKeyPair();
      const trimmed = Buffer.from(short.privateKey, 'base64url').subarray(1).toString('base64url');
      const shortImport = await inject('POST', '/api/v1/vapid-keys/import', {
        publicKey: short.publicKey,
        privateKey: trimmed,
      });
      expect(shortImport.statusCode).toBe(201);
      expect((await t.server.storage.getVapidKey(shortImport.json().id))!.privateKey).toBe(short.privateKey);
    });
  });

  describe('API keys', () => {
    test('create shows the key once; it works; list hides secrets; revoke makes it fail', async () => {
      const created = await inject('POST', '/api/v1/api-keys', { name: 'deploy' });
      expect(created.statusCode).toBe(201);
      const { id, key } = created.json();
      expect(key).toMatch(/^hk_key_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
      const withNew = { authorization: `Bearer ${key}` };
      expect((await inject('GET', '/api/v1/api-keys', undefined, withNew)).statusCode).toBe(200);
      const list = (await inject('GET', '/api/v1/api-keys')).json().items;
      expect(list.map((k: { name: string }) => k.name)).toEqual(['generated on first start', 'deploy']);
      expect(JSON.stringify(list)).not.toContain(key.slice(-43));
      expect(list[1].lastUsedAt).not.toBeNull();
      expect((await inject('DELETE', `/api/v1/api-keys/${id}`)).statusCode).toBe(204);
      expect((await inject('DELETE', `/api/v1/api-keys/${id}`)).statusCode).toBe(404);
      expect((await inject('GET', '/api/v1/api-keys', undefined, withNew)).statusCode).toBe(401);
    });
  });

  describe('operations', () => {
    test('/healthz answers ok with the storage; /metrics is Prometheus text with requests and queue depth', async () => {
      const health = await inject('GET', '/healthz', undefined, {});
      expect(health.json()).toEqual({ status: 'ok', storage: dialect, warnings: [] });
      await inject('GET', '/api/v1/vapid-public-key', undefined, {});
      const metrics = await inject('GET', '/metrics', undefined, {});
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.body).toContain(
        'herald_http_requests_total{method="GET",route="/api/v1/vapid-public-key",status="200"} 1',
      );
      expect(metrics.body).toContain('herald_queue_messages 0');
      expect(metrics.body).toMatch(
        /herald_http_request_duration_seconds_bucket\{route="\/healthz",le="\+Inf"\} 1/,
      );
    });

    test('/openapi.json describes the routes; /docs serves the browsable page; unknown routes are JSON 404', async () => {
      const doc = (await inject('GET', '/openapi.json', undefined, {})).json();
      expect(doc.openapi).toBe('3.1.0');
      for (const path of [
        '/api/v1/subscriptions',
        '/api/v1/messages',
        '/api/v1/messages/{id}',
        '/api/v1/vapid-keys/rotate',
      ]) {
        expect(Object.keys(doc.paths)).toContain(path);
      }
      expect(doc.paths['/api/v1/messages'].post.security).toEqual([{ apiKey: [] }]);
      const docs = await inject('GET', '/docs/', undefined, {});
      expect(docs.statusCode).toBe(200);
      expect(docs.body).toContain('swagger');
      const missing = await inject('GET', '/nope', undefined, {});
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: 'no route GET /nope' } });
    });
  });
});
