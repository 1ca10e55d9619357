import { PushService } from '@herald/push-service';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { PushRequest, PushResponse, PushSender } from '../src/delivery/sender.js';
import { WebPushSender } from '../src/delivery/webpush-sender.js';
import { DeliveryWorker, type WorkerOptions } from '../src/delivery/worker.js';
import { ReceiptTokens } from '../src/push/receipt-tokens.js';
import type { MessageInput, Storage } from '../src/storage/storage.js';
import { VapidKeyRing } from '../src/vapid-key-ring.js';
import { type Audience, createAudience, eventually } from './helpers/audience.js';
import { type StorageFixture, sqliteFixture, storageFixtures } from './helpers/storages.js';

/**
 * The delivery engine end to end in one process: the real worker and the production sender
 * (encryption on a crypto thread, undici pools) against @herald/push-service, whose headless
 * user agents decrypt and count every message; faults are injected in the push service.
 */

/** Wraps a sender and records every attempt: when, to whom, with which TTL, and the answer. */
class Recorder implements PushSender {
  readonly attempts: { endpoint: string; at: number; ttl: number; status: number | 'error' }[] = [];
  constructor(readonly inner: PushSender) {}
  async send(request: PushRequest): Promise<PushResponse> {
    const at = Date.now();
    try {
      const response = await this.inner.send(request);
      this.attempts.push({ endpoint: request.endpoint, at, ttl: request.ttl, status: response.status });
      return response;
    } catch (error) {
      this.attempts.push({ endpoint: request.endpoint, at, ttl: request.ttl, status: 'error' });
      throw error;
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const payload = JSON.stringify({
  web_push: 8030,
  notification: { title: 'Extra!', navigate: 'https://s.example/' },
  mutable: true,
});

function broadcast(extra: Partial<MessageInput> = {}): MessageInput {
  return {
    target: { all: true },
    payload,
    notification: { title: 'Extra!' },
    ttl: 3600,
    urgency: 'high',
    topic: null,
    sendAt: Date.now(),
    idempotencyKey: null,
    ...extra,
  };
}

interface Rig {
  fixture: StorageFixture;
  storage: Storage;
  services: PushService[];
  audiences: Audience[];
  recorder: Recorder;
  worker: DeliveryWorker;
  key: { id: string; publicKey: string };
}

async function rig(
  create: () => Promise<StorageFixture>,
  options: Partial<WorkerOptions> = {},
): Promise<Rig> {
  const fixture = await create();
  const storage = fixture.storage;
  const keys = new VapidKeyRing(storage);
  await keys.bootstrap();
  // A generous deadline: a push that times out is retried (at least once), and on a loaded
  // machine the push service in this process may answer slowly, which is not what these test.
  // No crypto threads: a thread runs compiled JavaScript, not these sources; the threaded path
  // runs in engine-processes.test.ts, which starts the built server.
  const recorder = new Recorder(new WebPushSender({ threads: 0, timeoutMs: 30_000 }));
  const worker = new DeliveryWorker({
    storage,
    sender: recorder,
    keys,
    receipts: await ReceiptTokens.load(storage),
    vapidSubject: 'mailto:ops@herald-push.org',
    idleMs: 20,
    batchSize: 100,
    concurrency: 128,
    retryPolicy: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 2_000 },
    onError: (error) => {
      throw error;
    },
    ...options,
  });
  return { fixture, storage, services: [], audiences: [], recorder, worker, key: await keys.active() };
}

async function teardown(r: Rig | undefined): Promise<void> {
  if (!r) return;
  await r.worker.stop();
  for (const audience of r.audiences) audience.close();
  await r.recorder.close();
  for (const service of r.services) await service.close();
  await r.fixture.dispose();
}

async function audienceOn(r: Rig, size: number): Promise<{ service: PushService; audience: Audience }> {
  const service = await PushService.start({ port: 0, control: true });
  r.services.push(service);
  const audience = await createAudience(service, r.storage, r.key, size);
  r.audiences.push(audience);
  return { service, audience };
}

const completed = (storage: Storage, id: string, timeoutMs: number) =>
  eventually(
    async () => {
      const message = await storage.getMessage(id);
      return message?.status === 'completed' ? message : undefined;
    },
    timeoutMs,
    `message ${id} to complete`,
  );

describe.each(storageFixtures)('delivery engine on $dialect', ({ create }) => {
  let r: Rig | undefined;
  afterEach(async () => {
    await teardown(r);
    r = undefined;
  });

  test('a broadcast to 1,200 subscribers arrives at each exactly once', { timeout: 60_000 }, async () => {
    r = await rig(create);
    const { audience } = await audienceOn(r, 1_200);
    const { message } = await r.storage.createMessage(broadcast());
    r.worker.start();
    await audience.waitForArrivals(message.id, 1_200, 30_000);
    const done = await completed(r.storage, message.id, 10_000);
    expect(done.counts).toMatchObject({ targeted: 1_200, sent: 1_200, failed: 0, gone: 0 });
    // Give a duplicate the time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.recorder.attempts.filter((a) => a.status !== 201)).toEqual([]);
    expect([...audience.histogram(message.id)]).toEqual([[1, 1_200]]);
    expect(await r.storage.listDeliveries(message.id, 10)).toEqual([]);
  });
});

describe('delivery engine under faults (SQLite)', () => {
  let r: Rig | undefined;
  beforeEach(async () => {
    r = await rig(sqliteFixture);
  });
  afterEach(async () => {
    await teardown(r);
    r = undefined;
  });

  test('503 and 429 with Retry-After: everything arrives once, and no retry comes before its delay', {
    timeout: 60_000,
  }, async () => {
    const { service, audience } = await audienceOn(r!, 300);
    service.faults.add({
      action: { type: 'status', status: 503, retryAfterSeconds: 1 },
      share: 0.2,
      count: 12,
    });
    service.faults.add({
      action: { type: 'status', status: 429, retryAfterSeconds: 2 },
      share: 0.2,
      count: 12,
    });
    const { message } = await r!.storage.createMessage(broadcast());
    r!.worker.start();
    await audience.waitForArrivals(message.id, 300, 30_000);
    const done = await completed(r!.storage, message.id, 10_000);
    expect(done.counts).toMatchObject({ targeted: 300, sent: 300, failed: 0 });
    expect([...audience.histogram(message.id)]).toEqual([[1, 300]]);

    const throttled = r!.recorder.attempts.filter((a) => a.status === 503 || a.status === 429);
    expect(throttled.length).toBe(24);
    for (const answer of throttled) {
      const delay = answer.status === 503 ? 1_000 : 2_000;
      const next = r!.recorder.attempts.find((a) => a.endpoint === answer.endpoint && a.at > answer.at);
      expect(next, `a retry for ${answer.endpoint}`).toBeDefined();
      // Measured from when the request left: the answer came after, so this only errs on the safe side.
      expect(next!.at - answer.at).toBeGreaterThanOrEqual(delay);
    }
  });

  test('410 prunes the subscription; the others receive the message', { timeout: 30_000 }, async () => {
    const { service, audience } = await audienceOn(r!, 50);
    const expired = audience.endpoints.slice(0, 10);
    for (const endpoint of expired) service.expireSubscription(endpoint);
    const { message } = await r!.storage.createMessage(broadcast());
    r!.worker.start();
    const done = await completed(r!.storage, message.id, 10_000);
    expect(done.counts).toMatchObject({ targeted: 50, sent: 40, gone: 10, failed: 0 });
    for (const endpoint of expired)
      expect(await r!.storage.getSubscriptionByEndpoint(endpoint)).toBeUndefined();
    expect(await r!.storage.countSubscriptions()).toBe(40);
    await audience.waitForArrivals(message.id, 40, 5_000);
  });

  test('a message whose TTL runs out while its push service throttles is never delivered late', {
    timeout: 30_000,
  }, async () => {
    const { service, audience } = await audienceOn(r!, 1);
    const rule = service.faults.add({ action: { type: 'status', status: 429, retryAfterSeconds: 1 } });
    const { message } = await r!.storage.createMessage(broadcast({ ttl: 3 }));
    r!.worker.start();
    const done = await completed(r!.storage, message.id, 10_000);
    expect(done.counts).toMatchObject({ sent: 0, failed: 1 });
    const [failure] = await r!.storage.listDeliveries(message.id, 10);
    // The last word is the TTL's, whether a 429 came back or the paused origin deferred the push.
    expect(failure).toMatchObject({ status: 'failed' });
    expect(failure!.lastError).toContain('TTL');
    // Each retry carried the TTL that was left, not the original 3 s.
    const ttls = r!.recorder.attempts.map((a) => a.ttl);
    expect(ttls.length).toBeGreaterThanOrEqual(2);
    expect(ttls[0]).toBeLessThanOrEqual(3);
    expect(ttls.at(-1)!).toBeLessThan(ttls[0]!);
    // The push service would accept it now: nothing is sent any more.
    service.faults.remove(rule);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(audience.histogram(message.id).get(0)).toBe(1);
    expect(r!.recorder.attempts.every((a) => a.status === 429)).toBe(true);
  });

  test('a throttling push service is slowed down without stalling another one', {
    timeout: 30_000,
  }, async () => {
    const slow = await audienceOn(r!, 200);
    const fast = await audienceOn(r!, 200);
    slow.service.faults.add({ action: { type: 'status', status: 429, retryAfterSeconds: 4 }, count: 5 });
    const { message } = await r!.storage.createMessage(broadcast());
    const started = Date.now();
    r!.worker.start();
    await fast.audience.waitForArrivals(message.id, 200, 10_000);
    const fastDone = Date.now() - started;
    await slow.audience.waitForArrivals(message.id, 200, 20_000);
    const slowDone = Date.now() - started;
    // The slow origin paused for its Retry-After; the fast one finished well before it resumed.
    expect(fastDone).toBeLessThan(4_000);
    expect(slowDone).toBeGreaterThanOrEqual(4_000);
    const slowOrigin = slow.service.origin;
    const slowAttempts = r!.recorder.attempts.filter((a) => a.endpoint.startsWith(slowOrigin));
    const firstThrottle = slowAttempts.find((a) => a.status === 429)!;
    // After the first 429 no new push went to the slow origin until its Retry-After had passed,
    // except those already on their way when the answer came.
    const early = slowAttempts.filter((a) => a.at > firstThrottle.at + 50 && a.at < firstThrottle.at + 4_000);
    expect(early).toEqual([]);
    await completed(r!.storage, message.id, 10_000);
    expect([...fast.audience.histogram(message.id)]).toEqual([[1, 200]]);
    expect([...slow.audience.histogram(message.id)]).toEqual([[1, 200]]);
  });
});
