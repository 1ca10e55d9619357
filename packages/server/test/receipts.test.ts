/**
 * Receipts (docs/payload.md): the per-delivery token, the public route, counting each
 * (message, subscription, event) once, and the dashboard's subscriber statistics.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { PushRequest, PushResponse, PushSender } from '../src/delivery/sender.js';
import { ReceiptTokens } from '../src/push/receipt-tokens.js';
import type { Storage } from '../src/storage/storage.js';
import { fakeBrowserSubscription, type TestServer, testServer } from './helpers/server.js';
import { type StorageFixture, storageFixtures } from './helpers/storages.js';

describe.each(storageFixtures)('receipts and statistics in storage on $dialect', ({ create }) => {
  let fixture: StorageFixture;
  let storage: Storage;
  beforeEach(async () => {
    fixture = await create();
    storage = fixture.storage;
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  const message = async () =>
    (
      await storage.createMessage({
        target: { all: true },
        payload: '{"web_push":8030}',
        notification: { title: 't' },
        ttl: 60,
        urgency: 'normal',
        topic: null,
        sendAt: Date.now(),
        idempotencyKey: null,
      })
    ).message;

  test('each (message, subscription, event) counts once; unknown messages count nothing', async () => {
    const m = await message();
    const r = (subscriptionId: string, event: 'delivered' | 'clicked' | 'closed') => ({
      messageId: m.id,
      subscriptionId,
      event,
    });
    expect(
      await storage.recordReceipts([r('s1', 'delivered'), r('s2', 'delivered'), r('s1', 'clicked')], 1),
    ).toBe(3);
    expect(await storage.recordReceipts([r('s1', 'delivered'), r('s2', 'closed')], 2)).toBe(1);
    expect(
      await storage.recordReceipts([{ messageId: 'msg_gone', subscriptionId: 's1', event: 'clicked' }], 3),
    ).toBe(0);
    expect((await storage.getMessage(m.id))!.counts).toMatchObject({ delivered: 2, clicked: 1, closed: 1 });
  });

  test('subscriber statistics by push service and by UTC day', async () => {
    expect(await storage.subscriptionStats()).toEqual({ total: 0, byPushService: [], byDay: [] });
    const key = await storage.addVapidKey({ publicKey: 'pub', privateKey: 'priv' }, true);
    const addWith = (n: number, host: string) =>
      storage.upsertSubscription({
        endpoint: `https://${host}/send/${n}`,
        p256dh: `p${n}`,
        auth: `a${n}`,
        contentEncoding: 'aes128gcm',
        vapidKeyId: key.id,
        pushServiceOrigin: `https://${host}`,
      });
    await addWith(1, 'fcm.googleapis.com');
    await addWith(2, 'fcm.googleapis.com');
    await addWith(3, 'updates.push.services.mozilla.com');
    const today = new Date().toISOString().slice(0, 10);
    expect(await storage.subscriptionStats()).toEqual({
      total: 3,
      byPushService: [
        { pushService: 'https://fcm.googleapis.com', count: 2 },
        { pushService: 'https://updates.push.services.mozilla.com', count: 1 },
      ],
      byDay: [{ day: today, added: 3, removed: 0, total: 3 }],
    });
  });

  test('the subscriber history keeps deleted and pruned subscriptions on the days they were held', async () => {
    const key = await storage.addVapidKey({ publicKey: 'pub', privateKey: 'priv' }, true);
    const add = async (n: number) =>
      (
        await storage.upsertSubscription({
          endpoint: `https://fcm.googleapis.com/send/${n}`,
          p256dh: `p${n}`,
          auth: `a${n}`,
          contentEncoding: 'aes128gcm',
          vapidKeyId: key.id,
          pushServiceOrigin: 'https://fcm.googleapis.com',
        })
      ).id;
    const [deleted, pruned, kept, keptToo] = [await add(1), await add(2), await add(3), await add(4)];
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    await fixture.backdateSubscription(deleted, Date.now() - 3 * 86_400_000);
    await fixture.backdateSubscription(pruned, Date.now() - 2 * 86_400_000);
    await fixture.backdateSubscription(keptToo, Date.now() - 2 * 86_400_000);

    // One goes through the API's delete, one is pruned by the worker on a 410.
    expect(await storage.deleteSubscription(deleted)).toBe(true);
    await message();
    const claimed = (await storage.claimChunk('w', Date.now(), 60_000, 10))!;
    const revision = claimed.targets.find((t) => t.id === pruned)!.revision;
    const outcomes = claimed.targets.map((t) =>
      t.id === pruned
        ? { subscriptionId: t.id, result: 'gone' as const, revision }
        : { subscriptionId: t.id, result: 'sent' as const },
    );
    expect(await storage.recordChunk(claimed.chunk, 'w', outcomes, Date.now())).toBe(true);
    expect((await storage.listSubscriptions({ limit: 10 })).map((s) => s.id).sort()).toEqual(
      [kept, keptToo].sort(),
    );

    const stats = await storage.subscriptionStats();
    expect(stats.total).toBe(2);
    expect(stats.byDay).toEqual([
      { day: day(3), added: 1, removed: 0, total: 1 },
      { day: day(2), added: 2, removed: 0, total: 3 },
      { day: day(0), added: 1, removed: 2, total: 2 },
    ]);
    // Removing again what is already gone changes nothing.
    expect(await storage.deleteSubscription(deleted)).toBe(false);
    expect((await storage.subscriptionStats()).byDay).toEqual(stats.byDay);
  });
});

class RecordingSender implements PushSender {
  readonly requests: PushRequest[] = [];
  async send(request: PushRequest): Promise<PushResponse> {
    this.requests.push(request);
    return { status: 201, retryAfterMs: undefined, body: '' };
  }
  async close(): Promise<void> {}
}

describe('POST /api/v1/receipts', () => {
  let t: TestServer;
  let sender: RecordingSender;
  beforeEach(async () => {
    sender = new RecordingSender();
    t = await testServer({ HERALD_SITE_URL: 'https://site.example/' }, { sender });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const inject = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.server.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  /** Subscribes two browsers, sends one message to both and returns each delivery's `herald` member. */
  async function deliver() {
    for (const topic of ['a', 'b']) {
      const res = await inject('POST', '/api/v1/subscriptions', {
        subscription: fakeBrowserSubscription(),
        topics: [topic],
      });
      expect(res.statusCode).toBe(201);
    }
    const sent = await inject(
      'POST',
      '/api/v1/messages',
      { to: { all: true }, notification: { title: 'Hi' } },
      t.admin,
    );
    expect(sent.statusCode).toBe(202);
    await expect.poll(() => sender.requests.length).toBe(2);
    const deliveries = sender.requests.map(
      (r) => JSON.parse(r.payload).herald as { message: string; subscription: string; receipt: string },
    );
    return { id: sent.json().id as string, deliveries };
  }

  const counts = async (id: string) =>
    (await inject('GET', `/api/v1/messages/${id}`, undefined, t.admin)).json().counts;

  test('valid receipts move the counts once; replays are accepted and not counted again', async () => {
    const { id, deliveries } = await deliver();
    const [one, two] = deliveries as [(typeof deliveries)[0], (typeof deliveries)[0]];
    expect(one.receipt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const batch = [
      { ...one, event: 'delivered' },
      { ...two, event: 'delivered' },
      { ...one, event: 'clicked' },
      { ...two, event: 'closed' },
    ];
    const first = await inject('POST', '/api/v1/receipts', { receipts: batch });
    expect([first.statusCode, first.json()]).toEqual([202, { accepted: 4, counted: 4 }]);
    const replay = await inject('POST', '/api/v1/receipts', { receipts: batch });
    expect(replay.json()).toEqual({ accepted: 4, counted: 0 });
    expect(await counts(id)).toMatchObject({ targeted: 2, sent: 2, delivered: 2, clicked: 1, closed: 1 });
  });

  test('a receipt cannot be forged for a delivery the caller does not hold', async () => {
    const { id, deliveries } = await deliver();
    const [one, two] = deliveries as [(typeof deliveries)[0], (typeof deliveries)[0]];
    const forged = [
      // another subscription's id with my token
      { ...one, subscription: two.subscription, event: 'clicked' },
      // my subscription, another message
      { ...one, message: 'msg_other', event: 'clicked' },
      // a made-up token of the right shape
      { ...one, receipt: 'A'.repeat(22), event: 'clicked' },
      // not base64url at all
      { ...one, receipt: '!!', event: 'clicked' },
    ];
    const res = await inject('POST', '/api/v1/receipts', { receipts: forged });
    expect([res.statusCode, res.json()]).toEqual([202, { accepted: 0, counted: 0 }]);
    expect(await counts(id)).toMatchObject({ delivered: 0, clicked: 0, closed: 0 });
  });

  test('malformed bodies are refused with 400 and change nothing', async () => {
    const { id, deliveries } = await deliver();
    const one = deliveries[0]!;
    const bodies = [
      {},
      { receipts: [] },
      { receipts: Array.from({ length: 101 }, () => ({ ...one, event: 'delivered' })) },
      { receipts: [{ ...one, event: 'opened' }] },
      { receipts: [{ ...one, event: 'delivered', extra: 1 }] },
    ];
    for (const body of bodies) {
      const res = await inject('POST', '/api/v1/receipts', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('ERR_INVALID_REQUEST');
    }
    expect(await counts(id)).toMatchObject({ delivered: 0 });
  });

  test('the token is stable across restarts (the secret is kept in storage)', async () => {
    const tokens = await ReceiptTokens.load(t.server.storage);
    const again = await ReceiptTokens.load(t.server.storage);
    expect(tokens.sign('m', 's')).toBe(again.sign('m', 's'));
    expect(again.verify('m', 's', tokens.sign('m', 's'))).toBe(true);
    expect(again.verify('m', 't', tokens.sign('m', 's'))).toBe(false);
  });

  test('GET /api/v1/stats (admin) answers the subscriber totals', async () => {
    await deliver();
    const res = await inject('GET', '/api/v1/stats', undefined, t.admin);
    expect(res.json()).toEqual({
      subscriptions: {
        total: 2,
        byPushService: [{ pushService: 'https://fcm.googleapis.com', count: 2 }],
        byDay: [{ day: new Date().toISOString().slice(0, 10), added: 2, removed: 0, total: 2 }],
      },
    });
  });
});
