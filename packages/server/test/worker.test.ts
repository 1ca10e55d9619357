import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { classify } from '../src/delivery/outcome.js';
import type { PushRequest, PushResponse, PushSender } from '../src/delivery/sender.js';
import { DeliveryWorker } from '../src/delivery/worker.js';
import { ReceiptTokens } from '../src/push/receipt-tokens.js';
import type { Storage } from '../src/storage/storage.js';
import { VapidKeyRing } from '../src/vapid-key-ring.js';
import { type StorageFixture, storageFixtures } from './helpers/storages.js';

/**
 * A recording sender: the worker's logic (claiming, cursors, counters, retries, pruning) is what
 * these tests check, against real storage; the end-to-end test checks real pushes.
 */
class RecordingSender implements PushSender {
  readonly requests: PushRequest[] = [];
  constructor(readonly answer: (request: PushRequest, nth: number) => PushResponse | Error) {}
  async send(request: PushRequest): Promise<PushResponse> {
    this.requests.push(request);
    const answer = this.answer(request, this.requests.filter((r) => r.endpoint === request.endpoint).length);
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async close(): Promise<void> {}
}

const ok: PushResponse = { status: 201, retryAfterMs: undefined, body: '' };

describe.each(storageFixtures)('delivery worker on $dialect', ({ create }) => {
  let fixture: StorageFixture;
  let storage: Storage;
  let keys: VapidKeyRing;
  let receipts: ReceiptTokens;

  beforeEach(async () => {
    fixture = await create();
    storage = fixture.storage;
    keys = new VapidKeyRing(storage);
    await keys.bootstrap();
    receipts = await ReceiptTokens.load(storage);
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  async function subscribe(n: number, topics: string[] = [], host = 'fcm.googleapis.com') {
    const { id } = await storage.upsertSubscription({
      endpoint: `https://${host}/send/${n}`,
      p256dh: `p${n}`,
      auth: `a${n}`,
      contentEncoding: 'aes128gcm',
      vapidKeyId: (await keys.active()).id,
      pushServiceOrigin: `https://${host}`,
      topics,
    });
    return id;
  }
  const message = (extra: object = {}) =>
    storage.createMessage({
      target: { topics: ['news'] },
      payload: JSON.stringify({
        web_push: 8030,
        notification: { title: 't', navigate: 'https://s/' },
        mutable: true,
      }),
      notification: { title: 't' },
      ttl: 3600,
      urgency: 'high',
      topic: 'tp',
      sendAt: Date.now(),
      idempotencyKey: null,
      ...extra,
    });

  test('fans a topic message out to exactly its subscribers, in batches, and completes', async () => {
    for (let n = 0; n < 7; n++) await subscribe(n, n % 2 === 0 ? ['news'] : ['sport']);
    const { message: m } = await message();
    const sender = new RecordingSender(() => ok);
    const worker = new DeliveryWorker({ storage, sender, keys, receipts, batchSize: 2 });
    expect(await worker.runOnce()).toBe(true);
    expect(sender.requests.map((r) => r.endpoint.split('/').at(-1)).sort()).toEqual(['0', '2', '4', '6']);
    const request = sender.requests[0]!;
    expect(request).toMatchObject({
      urgency: 'high',
      topic: 'tp',
      vapidKey: { publicKey: (await keys.active()).publicKey },
    });
    expect(request.ttl).toBeGreaterThan(3590);
    const payload = JSON.parse(request.payload);
    expect(payload).toMatchObject({ web_push: 8030, mutable: true, herald: { message: m.id } });
    expect(receipts.verify(m.id, payload.herald.subscription, payload.herald.receipt)).toBe(true);
    expect(receipts.verify(m.id, payload.herald.subscription, 'AAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
    expect(await storage.getMessage(m.id)).toMatchObject({
      status: 'completed',
      counts: { targeted: 4, sent: 4, failed: 0, gone: 0 },
    });
    expect(await worker.runOnce()).toBe(false);
  });

  test('404/410 prune the subscription; 413 and 403 fail (403 as a configuration error); 503 retries', async () => {
    const ids = [];
    for (let n = 0; n < 5; n++) ids.push(await subscribe(n, ['news']));
    const { message: m } = await message();
    const statuses = [410, 404, 413, 403, 503];
    const sender = new RecordingSender((request, nth) => {
      const n = Number(request.endpoint.split('/').at(-1));
      return n === 4 && nth > 1
        ? ok
        : { status: statuses[n]!, retryAfterMs: n === 4 ? 0 : undefined, body: 'nope' };
    });
    const worker = new DeliveryWorker({
      storage,
      sender,
      keys,
      receipts,
      retryPolicy: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 400 },
    });
    await worker.runOnce();
    expect(await storage.getSubscription(ids[0]!)).toBeUndefined();
    expect(await storage.getSubscription(ids[1]!)).toBeUndefined();
    expect(await storage.getSubscription(ids[2]!)).toBeDefined();
    expect(await storage.getSubscription(ids[3]!)).toBeDefined();
    const sending = await storage.getMessage(m.id);
    expect(sending).toMatchObject({ status: 'sending', counts: { gone: 2, failed: 2, sent: 0 } });
    expect(sending!.lastError).toContain('403');
    expect(await storage.listDeliveries(m.id, 10)).toContainEqual(
      expect.objectContaining({ subscriptionId: ids[4], status: 'retry', attempts: 1, lastStatus: 503 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    await worker.runOnce();
    expect(await storage.getMessage(m.id)).toMatchObject({
      status: 'completed',
      counts: { gone: 2, failed: 2, sent: 1 },
    });
    expect((await storage.listDeliveries(m.id, 10)).map((d) => [d.status, d.lastStatus])).toEqual([
      ['failed', 413],
      ['failed', 403],
    ]);
  });

  test('retries stop after maxAttempts; network errors are retried like 5xx', async () => {
    await subscribe(1, ['news']);
    const { message: m } = await message();
    const sender = new RecordingSender(() => new Error('socket hang up'));
    const worker = new DeliveryWorker({
      storage,
      sender,
      keys,
      receipts,
      retryPolicy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });
    for (let i = 0; i < 5; i++) {
      await worker.runOnce();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(sender.requests).toHaveLength(3);
    const [delivery] = await storage.listDeliveries(m.id, 10);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 3 });
    expect(delivery!.lastError).toContain('gave up after 3 attempts');
    expect(await storage.getMessage(m.id)).toMatchObject({ status: 'completed', counts: { failed: 1 } });
  });

  test('sendAt is honoured; cancelled messages are not sent; Apple without a VAPID subject fails as configuration', async () => {
    await subscribe(1, ['news']);
    await subscribe(2, ['news'], 'web.push.apple.com');
    const later = await message({ sendAt: Date.now() + 60_000 });
    const cancelled = await message();
    await storage.cancelMessage(cancelled.message.id);
    const sender = new RecordingSender(() => ok);
    const worker = new DeliveryWorker({ storage, sender, keys, receipts });
    expect(await worker.runOnce()).toBe(false);
    expect(sender.requests).toEqual([]);
    expect((await storage.getMessage(later.message.id))!.status).toBe('queued');

    const now = await message();
    await worker.runOnce();
    expect(sender.requests.map((r) => r.endpoint)).toEqual(['https://fcm.googleapis.com/send/1']);
    const done = await storage.getMessage(now.message.id);
    expect(done).toMatchObject({ status: 'completed', counts: { sent: 1, failed: 1 } });
    expect(done!.lastError).toContain('ERR_VAPID_SUBJECT_REQUIRED');

    const withSubject = new DeliveryWorker({
      storage,
      sender,
      keys,
      receipts,
      vapidSubject: 'mailto:ops@herald-push.org',
    });
    await message();
    await withSubject.runOnce();
    expect(sender.requests.filter((r) => r.endpoint.includes('apple'))).toHaveLength(1);
  });

  test('a message past its TTL is not sent', async () => {
    await subscribe(1, ['news']);
    const { message: m } = await message({ sendAt: Date.now() - 10_000, ttl: 5 });
    const sender = new RecordingSender(() => ok);
    await new DeliveryWorker({ storage, sender, keys, receipts }).runOnce();
    expect(sender.requests).toEqual([]);
    const done = await storage.getMessage(m.id);
    expect(done).toMatchObject({ status: 'completed', counts: { targeted: 1, failed: 1 } });
    expect(done!.lastError).toContain('TTL ran out');
    // Counted, not stored per subscriber.
    expect(await storage.listDeliveries(m.id, 10)).toEqual([]);
  });

  test('a worker whose chunk was taken over records nothing for it; the new owner sends the chunk again', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push(await subscribe(n, ['news']));
    const { message: m } = await message();
    let thief: ReturnType<Storage['claimChunk']> | undefined;
    // While the first worker sends to subscriber 0, its lease is taken to have lapsed and another
    // process claims the chunk; the send answers only once that claim is through.
    const sender = new RecordingSender(() => ok);
    const send = sender.send.bind(sender);
    sender.send = async (request) => {
      if (request.endpoint.endsWith('/0')) {
        thief ??= storage.claimChunk('thief', Date.now() + 60_000, 60_000, 2);
        await thief;
      }
      return send(request);
    };
    await new DeliveryWorker({ storage, sender, keys, receipts, batchSize: 2 }).runOnce();
    const stolen = (await thief)!;
    expect(stolen.targets.map((t) => t.id)).toEqual(ids.slice(0, 2));
    expect(await storage.getMessage(m.id)).toMatchObject({ status: 'sending', counts: { sent: 2 } });
    const outcomes = stolen.targets.map((t) => ({ subscriptionId: t.id, result: 'sent' as const }));
    expect(await storage.recordChunk(stolen.chunk, 'thief', outcomes, Date.now())).toBe(true);
    expect(await storage.getMessage(m.id)).toMatchObject({ status: 'completed', counts: { sent: 4 } });
  });
});

test('classify follows the field notes and honours Retry-After', () => {
  const base = { subscriptionId: 's', revision: 3, attempts: 1, expiresAt: Date.now() + 3_600_000 };
  const now = Date.now();
  const at = (status: number, retryAfterMs?: number) =>
    classify({ ...base, response: { status, retryAfterMs, body: '' } }, now, undefined, () => 0.5);
  expect(at(201).result).toBe('sent');
  expect(at(410)).toEqual({ subscriptionId: 's', result: 'gone', revision: 3 });
  expect(at(413)).toMatchObject({ result: 'failed' });
  expect(at(400)).toMatchObject({ result: 'failed', configError: true });
  expect(at(429, 120_000)).toMatchObject({ result: 'retry', nextAttemptAt: now + 120_000 });
  expect(at(503)).toMatchObject({ result: 'retry' });
  expect(at(406)).toMatchObject({ result: 'retry' });
  expect(at(500)).toMatchObject({ result: 'retry' });
  // A retry that would land after the TTL is a failure now, not a late delivery.
  expect(
    classify(
      { ...base, expiresAt: now + 1000, response: { status: 503, retryAfterMs: 5000, body: '' } },
      now,
    ),
  ).toMatchObject({ result: 'failed' });
});
