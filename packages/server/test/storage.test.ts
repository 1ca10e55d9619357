import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { MessageTarget, Storage, SubscriptionInput } from '../src/storage/storage.js';
import { type StorageFixture, storageFixtures } from './helpers/storages.js';

const key = (n: number) => ({ publicKey: `pub-${n}`, privateKey: `priv-${n}` });

describe.each(storageFixtures)('storage on $dialect', ({ create }) => {
  let fixture: StorageFixture;
  let storage: Storage;
  let vapidKeyId: string;

  const input = (n: number, extra: Partial<SubscriptionInput> = {}): SubscriptionInput => ({
    endpoint: `https://fcm.googleapis.com/fcm/send/${n}`,
    p256dh: `p256dh-${n}`,
    auth: `auth-${n}`,
    contentEncoding: 'aes128gcm',
    vapidKeyId,
    pushServiceOrigin: 'https://fcm.googleapis.com',
    ...extra,
  });

  beforeEach(async () => {
    fixture = await create();
    storage = fixture.storage;
    vapidKeyId = (await storage.ensureActiveVapidKey(key(0))).id;
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  test('migrations are applied once; reopening the same database finds the data', async () => {
    await storage.setSettingIfAbsent('k', 'v');
    const [a, b] = await Promise.all([fixture.reopen(), fixture.reopen()]);
    expect(await a.getSetting('k')).toBe('v');
    expect(await b.getSetting('k')).toBe('v');
  });

  test('settings: the first writer wins, also when racing', async () => {
    const other = await fixture.reopen();
    const results = await Promise.all([
      storage.setSettingIfAbsent('secret', 'a'),
      other.setSettingIfAbsent('secret', 'b'),
    ]);
    expect(results[0]).toBe(results[1]);
    expect(await storage.getSetting('secret')).toBe(results[0]);
    expect(await storage.getSetting('missing')).toBeUndefined();
  });

  test('VAPID keys: exactly one active key wins a first-start race; rotation keeps old keys', async () => {
    const fresh = await create();
    try {
      const others = await Promise.all([fresh.reopen(), fresh.reopen()]);
      const winners = await Promise.all([
        fresh.storage.ensureActiveVapidKey(key(1)),
        others[0]!.ensureActiveVapidKey(key(2)),
        others[1]!.ensureActiveVapidKey(key(3)),
      ]);
      expect(new Set(winners.map((w) => w.id)).size).toBe(1);
      expect(await fresh.storage.listVapidKeys()).toHaveLength(1);
    } finally {
      await fresh.dispose();
    }

    const rotated = await storage.addVapidKey(key(9), true);
    expect(rotated.active).toBe(true);
    const keys = await storage.listVapidKeys();
    expect(keys.map((k) => [k.publicKey, k.active])).toEqual([
      ['pub-0', false],
      ['pub-9', true],
    ]);
    expect((await storage.getActiveVapidKey())!.id).toBe(rotated.id);
    expect((await storage.getVapidKeyByPublicKey('pub-0'))!.id).toBe(vapidKeyId);
    expect((await storage.getVapidKey(vapidKeyId))!.privateKey).toBe('priv-0');
    // Importing a held key again returns it; the same public key with another private key conflicts.
    expect((await storage.addVapidKey(key(0), false)).id).toBe(vapidKeyId);
    await expect(
      storage.addVapidKey({ publicKey: 'pub-0', privateKey: 'other' }, false),
    ).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
    });
    expect(await storage.ensureActiveVapidKey(key(5))).toMatchObject({ id: rotated.id });
  });

  test('API keys: create, list, touch, revoke once', async () => {
    const created = await storage.createApiKey({ id: 'key_1', name: 'ci', hash: 'h1' });
    expect(created).toMatchObject({ id: 'key_1', name: 'ci', hash: 'h1', revokedAt: null, lastUsedAt: null });
    await storage.touchApiKey('key_1', 1234);
    expect((await storage.getApiKey('key_1'))!.lastUsedAt).toBe(1234);
    expect(await storage.revokeApiKey('key_1')).toBe(true);
    expect(await storage.revokeApiKey('key_1')).toBe(false);
    expect(await storage.revokeApiKey('nope')).toBe(false);
    expect((await storage.listApiKeys())[0]!.revokedAt).toBeTypeOf('number');
  });

  test('subscriptions: upsert by endpoint keeps the id, bumps the revision, replaces or keeps topics', async () => {
    const first = await storage.upsertSubscription(
      input(1, { topics: ['news', 'sport', 'news'], userId: 'u1' }),
    );
    expect(first.created).toBe(true);
    expect(await storage.getSubscription(first.id)).toMatchObject({
      topics: ['news', 'sport'],
      userId: 'u1',
      revision: 1,
    });

    const again = await storage.upsertSubscription(input(1, { p256dh: 'new-key' }));
    expect(again).toEqual({ id: first.id, created: false });
    expect(await storage.getSubscription(first.id)).toMatchObject({
      p256dh: 'new-key',
      topics: ['news', 'sport'],
      userId: 'u1',
      revision: 2,
    });

    await storage.upsertSubscription(input(1, { topics: ['sport', 'tech'], userId: null }));
    const third = await storage.getSubscription(first.id);
    expect(third).toMatchObject({ topics: ['sport', 'tech'], userId: null, revision: 3 });
    expect(await storage.getSubscriptionByEndpoint(input(1).endpoint)).toEqual(third);
    expect(await storage.countSubscriptions()).toBe(1);
  });

  test('subscriptions: list filters by topic and user with keyset pagination', async () => {
    for (let n = 0; n < 7; n++) {
      await storage.upsertSubscription(
        input(n, { topics: n % 2 ? ['odd'] : ['even'], userId: n < 3 ? 'u' : null }),
      );
    }
    const all = await storage.listSubscriptions({ limit: 100 });
    expect(all).toHaveLength(7);
    expect(all.map((s) => s.id)).toEqual([...all.map((s) => s.id)].sort());

    const page1 = await storage.listSubscriptions({ limit: 4 });
    const page2 = await storage.listSubscriptions({ limit: 4, after: page1.at(-1)!.id });
    expect([...page1, ...page2].map((s) => s.id)).toEqual(all.map((s) => s.id));

    const odd = await storage.listSubscriptions({ limit: 100, topic: 'odd' });
    expect(odd.map((s) => s.endpoint.at(-1))).toEqual(['1', '3', '5']);
    const user = await storage.listSubscriptions({ limit: 100, userId: 'u', topic: 'even' });
    expect(user.map((s) => s.endpoint.at(-1))).toEqual(['0', '2']);
  });

  test('subscriptions: topics, user link and delete by id; unknown ids give undefined/false', async () => {
    const subscription = { id: (await storage.upsertSubscription(input(1, { topics: ['a'] }))).id };
    expect((await storage.setSubscriptionTopics(subscription.id, ['b', 'c']))!.topics).toEqual(['b', 'c']);
    expect((await storage.setSubscriptionUser(subscription.id, 'user-7'))!.userId).toBe('user-7');
    expect(await storage.setSubscriptionTopics('sub_missing', ['x'])).toBeUndefined();
    expect(await storage.setSubscriptionUser('sub_missing', 'x')).toBeUndefined();
    expect(await storage.getSubscription('sub_missing')).toBeUndefined();
    expect(await storage.deleteSubscription(subscription.id)).toBe(true);
    expect(await storage.deleteSubscription(subscription.id)).toBe(false);
    expect(await storage.listSubscriptions({ limit: 10, topic: 'b' })).toEqual([]);
  });

  test('subscriptions: concurrent upserts (one group commit on SQLite) each get their own answer', async () => {
    const results = await Promise.all(
      [input(1), input(2), input(1, { auth: 'x' }), input(3)].map((i) => storage.upsertSubscription(i)),
    );
    expect(results.map((r) => r.created)).toEqual([true, true, false, true]);
    expect(results[2]!.id).toBe(results[0]!.id);
    expect((await storage.getSubscription(results[0]!.id))!.auth).toBe('x');
    // A row that breaks a constraint fails alone; its neighbours are written.
    const mixed = await Promise.allSettled([
      storage.upsertSubscription(input(4)),
      storage.upsertSubscription(input(5, { vapidKeyId: 'vk_missing' })),
      storage.upsertSubscription(input(6)),
    ]);
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await storage.countSubscriptions()).toBe(5);
  });

  test('subscriptions: a batch upsert counts created and updated', async () => {
    await storage.upsertSubscription(input(1));
    const result = await storage.upsertSubscriptions([input(1), input(2, { topics: ['t'] }), input(3)]);
    expect(result).toEqual({ created: 2, updated: 1 });
    expect((await storage.getSubscriptionByEndpoint(input(2).endpoint))!.topics).toEqual(['t']);
  });

  const message = (extra: Record<string, unknown> = {}) => ({
    target: { all: true } as const,
    payload: '{"web_push":8030}',
    notification: { title: 'hi' },
    ttl: 60,
    urgency: 'normal' as const,
    topic: null,
    sendAt: Date.now() - 1,
    idempotencyKey: null,
    ...extra,
  });

  test('messages: create, idempotency key, list newest first, cancel once', async () => {
    const a = await storage.createMessage(message({ idempotencyKey: 'k1' }));
    expect(a.created).toBe(true);
    expect(a.message).toMatchObject({
      status: 'queued',
      notification: { title: 'hi' },
      target: { all: true },
    });
    const again = await storage.createMessage(message({ idempotencyKey: 'k1', ttl: 5 }));
    expect(again).toMatchObject({ created: false, message: { id: a.message.id, ttl: 60 } });
    const b = await storage.createMessage(message());
    const c = await storage.createMessage(message());
    expect((await storage.listMessages({ limit: 10 })).map((m) => m.id)).toEqual(
      [c, b, a].map((x) => x.message.id),
    );
    expect((await storage.listMessages({ limit: 10, before: b.message.id })).map((m) => m.id)).toEqual([
      a.message.id,
    ]);
    expect((await storage.cancelMessage(b.message.id))!.status).toBe('cancelled');
    expect(await storage.cancelMessage('msg_missing')).toBeUndefined();
    expect(await storage.claimChunk('w', Date.now(), 1000, 10)).toBeUndefined();
    expect(await storage.getMessage(a.message.id)).toMatchObject({ status: 'completed', fanoutDone: true });
  });

  test('queue: chunks carve a due message into leased ranges; a lapsed chunk is taken over whole', async () => {
    for (let n = 0; n < 5; n++) await storage.upsertSubscription(input(n, { topics: n < 3 ? ['t'] : [] }));
    await storage.createMessage(message({ sendAt: Date.now() + 60_000 }));
    const due = await storage.createMessage(message({ target: { topics: ['t'] } }));
    const now = Date.now();
    const first = (await storage.claimChunk('w1', now, 10_000, 2))!;
    expect(first.message).toMatchObject({ id: due.message.id, status: 'sending', counts: { targeted: 3 } });
    expect(first.targets).toHaveLength(2);
    // A second worker gets the next range, not the same one; the message is then handed out.
    const second = (await storage.claimChunk('w2', now, 10_000, 2))!;
    expect(second.targets).toHaveLength(1);
    expect(second.chunk.after).toBe(first.chunk.upto);
    expect(await storage.claimChunk('w3', now, 10_000, 2)).toBeUndefined();
    // w1 dies: once its lease lapses its chunk goes to w3, and w1 can no longer record it.
    const taken = (await storage.claimChunk('w3', now + 20_000, 10_000, 2))!;
    expect(taken.chunk).toEqual(first.chunk);
    expect(taken.targets.map((t) => t.id)).toEqual(first.targets.map((t) => t.id));
    const sent = (chunk: typeof taken) =>
      chunk.targets.map((t) => ({ subscriptionId: t.id, result: 'sent' as const }));
    expect(await storage.recordChunk(first.chunk, 'w1', sent(first), now)).toBe(false);
    expect(await storage.recordChunk(taken.chunk, 'w3', sent(taken), now)).toBe(true);
    expect(await storage.getMessage(due.message.id)).toMatchObject({
      status: 'sending',
      counts: { sent: 2 },
    });
    expect(await storage.queueDepth()).toEqual({ messages: 2, retries: 0 });
    // A heartbeat keeps w2's chunk from lapsing.
    await storage.renewLeases('w2', now + 5_000, 10_000);
    expect(await storage.claimChunk('w3', now + 12_000, 10_000, 2)).toBeUndefined();
    expect(await storage.recordChunk(second.chunk, 'w2', sent(second), now)).toBe(true);
    expect(await storage.getMessage(due.message.id)).toMatchObject({
      status: 'completed',
      counts: { sent: 3 },
    });
  });

  test('queue: chunks walk each kind of target in id order', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) {
      const { id } = await storage.upsertSubscription(
        input(n, { topics: n % 2 ? ['odd', 'x'] : ['even'], userId: `u${n % 3}` }),
      );
      ids.push(id);
    }
    const walk = async (target: MessageTarget) => {
      await storage.createMessage(message({ target }));
      const seen: string[] = [];
      for (;;) {
        const claimed = await storage.claimChunk('w', Date.now(), 10_000, 2);
        if (!claimed) return seen;
        seen.push(...claimed.targets.map((s) => s.id));
        await storage.recordChunk(claimed.chunk, 'w', [], Date.now());
      }
    };
    expect(await walk({ all: true })).toEqual(ids);
    expect(await walk({ topics: ['odd', 'x'] })).toEqual([ids[1], ids[3], ids[5]]);
    expect(await walk({ topics: ['even', 'odd'] })).toEqual(ids);
    expect(await walk({ userIds: ['u0', 'u2'] })).toEqual([ids[0], ids[2], ids[3], ids[5]]);
    expect(await walk({ subscriptionIds: [ids[4]!, ids[1]!, 'sub_missing'] })).toEqual([ids[1], ids[4]]);
  });

  test('queue: outcomes update counters, prune gone subscriptions at their revision, keep retry rows', async () => {
    const subs = [];
    for (let n = 0; n < 5; n++)
      subs.push((await storage.getSubscription((await storage.upsertSubscription(input(n))).id))!);
    // Subscription 3 is re-registered after the worker read it: its prune must not delete it.
    await storage.upsertSubscription(input(3));
    const { message: m } = await storage.createMessage(message());
    const now = Date.now();
    const claimed = (await storage.claimChunk('w', now, 10_000, 10))!;
    expect(claimed.targets.map((t) => [t.id, t.revision])).toEqual(
      subs.map((s, i) => [s.id, i === 3 ? 2 : 1]),
    );
    const recorded = await storage.recordChunk(
      claimed.chunk,
      'w',
      [
        { subscriptionId: subs[0]!.id, result: 'sent' },
        { subscriptionId: subs[1]!.id, result: 'gone', revision: 1 },
        {
          subscriptionId: subs[2]!.id,
          result: 'retry',
          attempts: 1,
          nextAttemptAt: now + 50,
          status: 503,
          error: 'x',
        },
        { subscriptionId: subs[3]!.id, result: 'gone', revision: 1 },
        {
          subscriptionId: subs[4]!.id,
          result: 'failed',
          attempts: 1,
          status: 403,
          error: 'bad key',
          configError: true,
        },
      ],
      now,
    );
    expect(recorded).toBe(true);
    expect(await storage.getSubscription(subs[1]!.id)).toBeUndefined();
    expect(await storage.getSubscription(subs[3]!.id)).toBeDefined();
    // A configuration problem marks the subscription; it is kept.
    expect(await storage.getSubscription(subs[4]!.id)).toMatchObject({ configError: 'bad key' });
    const sending = (await storage.getMessage(m.id))!;
    expect(sending).toMatchObject({
      status: 'sending',
      fanoutDone: true,
      lastError: 'bad key',
      counts: { targeted: 5, sent: 1, gone: 2, failed: 1 },
    });
    expect(await storage.listDeliveries(m.id, 10)).toEqual([
      expect.objectContaining({ subscriptionId: subs[2]!.id, status: 'retry', attempts: 1, lastStatus: 503 }),
      expect.objectContaining({ subscriptionId: subs[4]!.id, status: 'failed', lastError: 'bad key' }),
    ]);
    expect(await storage.queueDepth()).toEqual({ messages: 1, retries: 1 });

    expect(await storage.claimRetries('r', now, 10_000, 10)).toEqual([]);
    const [retry] = await storage.claimRetries('r', now + 100, 10_000, 10);
    expect(retry).toMatchObject({
      delivery: { attempts: 1 },
      message: { id: m.id },
      subscription: { id: subs[2]!.id },
    });
    expect(await storage.claimRetries('other', now + 100, 10_000, 10)).toEqual([]);
    // A record from a worker without the lease changes nothing.
    await storage.recordRetries(m.id, 'other', [{ subscriptionId: subs[2]!.id, result: 'sent' }], now);
    expect((await storage.getMessage(m.id))!.counts.sent).toBe(1);
    await storage.recordRetries(m.id, 'r', [{ subscriptionId: subs[2]!.id, result: 'sent' }], now);
    expect(await storage.getMessage(m.id)).toMatchObject({ status: 'completed', counts: { sent: 2 } });
    expect(await storage.queueDepth()).toEqual({ messages: 0, retries: 0 });
  });

  test('subscriptions: registering again (one by one or in a batch) clears configError', async () => {
    const ids = [];
    for (let n = 0; n < 2; n++) ids.push((await storage.upsertSubscription(input(n))).id);
    await storage.createMessage(message());
    const now = Date.now();
    const claimed = (await storage.claimChunk('w', now, 10_000, 10))!;
    const failed = (subscriptionId: string) => ({
      subscriptionId,
      result: 'failed' as const,
      attempts: 1,
      status: 403,
      error: 'VAPID key mismatch',
      configError: true,
    });
    await storage.recordChunk(claimed.chunk, 'w', ids.map(failed), now);
    for (const id of ids) {
      expect(await storage.getSubscription(id)).toMatchObject({ configError: 'VAPID key mismatch' });
    }
    await storage.upsertSubscription(input(0, { p256dh: 'p256dh-new' }));
    await storage.upsertSubscriptions([input(1, { p256dh: 'p256dh-new' })]);
    for (const id of ids) expect(await storage.getSubscription(id)).toMatchObject({ configError: null });
  });

  test('queue: a cancelled message refuses further fan-out and its retries are not handed out', async () => {
    await storage.upsertSubscription(input(1));
    await storage.upsertSubscription(input(2));
    const { message: m } = await storage.createMessage(message());
    const now = Date.now();
    const first = (await storage.claimChunk('w', now, 10_000, 1))!;
    const second = (await storage.claimChunk('w', now, 10_000, 1))!;
    await storage.recordChunk(
      first.chunk,
      'w',
      [
        {
          subscriptionId: first.targets[0]!.id,
          result: 'retry',
          attempts: 1,
          nextAttemptAt: now,
          status: 500,
          error: 'e',
        },
      ],
      now,
    );
    expect(await storage.queueDepth()).toEqual({ messages: 1, retries: 1 });
    expect((await storage.cancelMessage(m.id))!.status).toBe('cancelled');
    expect(await storage.recordChunk(second.chunk, 'w', [], now)).toBe(false);
    expect(await storage.claimChunk('w', now + 20_000, 10_000, 1)).toBeUndefined();
    expect(await storage.queueDepth()).toEqual({ messages: 0, retries: 0 });
    expect(await storage.claimRetries('r', now + 1, 1000, 10)).toEqual([]);
    expect((await storage.cancelMessage(m.id))!.status).toBe('cancelled');
  });
});
