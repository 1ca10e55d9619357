import { HeadlessUserAgent, type PushService } from '@herald/push-service';
import type { Storage } from '../../src/storage/storage.js';

/**
 * An audience of real subscribers: one headless user agent of @herald/push-service holding
 * `size` subscriptions (each with its own P-256 key pair and auth secret) made with the server's
 * VAPID key, stored through the storage's batch upsert as the import route would. Every message
 * the agent decrypts is counted per subscription, so tests can assert "each exactly once".
 */
export interface Audience {
  agent: HeadlessUserAgent;
  /** Subscription ids in the server, in creation order. */
  ids: string[];
  endpoints: string[];
  /** Decrypted arrivals per endpoint, with their payloads' message ids. */
  received: Map<string, string[]>;
  /** Arrival counts: how many subscribers got the message 0, 1, 2... times. */
  histogram(messageId: string): Map<number, number>;
  /** Resolves once `count` arrivals of `messageId` have been seen in total. */
  waitForArrivals(messageId: string, count: number, timeoutMs: number): Promise<void>;
  close(): void;
}

export async function createAudience(
  service: PushService,
  storage: Storage,
  vapidKey: { id: string; publicKey: string },
  size: number,
  topics: string[] = [],
): Promise<Audience> {
  const agent = await HeadlessUserAgent.connect(service.websocketUrl, { buffer: false });
  const subscriptions = [];
  // Registrations in parallel waves: each is one WebSocket round trip and a key generation.
  for (let start = 0; start < size; start += 100) {
    const wave = Array.from({ length: Math.min(100, size - start) }, () =>
      agent.subscribe({ applicationServerKey: vapidKey.publicKey }),
    );
    subscriptions.push(...(await Promise.all(wave)));
  }
  const origin = new URL(service.origin).origin;
  await storage.upsertSubscriptions(
    subscriptions.map((s) => ({
      endpoint: s.endpoint,
      p256dh: s.keys.p256dh,
      auth: s.keys.auth,
      contentEncoding: 'aes128gcm' as const,
      vapidKeyId: vapidKey.id,
      pushServiceOrigin: origin,
      topics,
    })),
  );
  const ids: string[] = [];
  for (const s of subscriptions) ids.push((await storage.getSubscriptionByEndpoint(s.endpoint))!.id);
  const received = new Map<string, string[]>(subscriptions.map((s) => [s.endpoint, []]));
  const arrivals = new Map<string, number>();
  const waiters = new Set<() => void>();
  agent.on('message', (message) => {
    const messageId = message.json<{ herald: { message: string } }>().herald.message;
    received.get(message.endpoint)?.push(messageId);
    arrivals.set(messageId, (arrivals.get(messageId) ?? 0) + 1);
    for (const waiter of waiters) waiter();
  });
  return {
    agent,
    ids,
    endpoints: subscriptions.map((s) => s.endpoint),
    received,
    histogram(messageId) {
      const histogram = new Map<number, number>();
      for (const list of received.values()) {
        const times = list.filter((id) => id === messageId).length;
        histogram.set(times, (histogram.get(times) ?? 0) + 1);
      }
      return histogram;
    },
    waitForArrivals(messageId, count, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if ((arrivals.get(messageId) ?? 0) >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `only ${arrivals.get(messageId) ?? 0} of ${count} arrivals of ${messageId} in ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => agent.close(),
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
