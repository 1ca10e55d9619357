import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PushService } from '@herald/push-service';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, expect, test } from 'vitest';
import { PostgresStorage } from '../src/storage/postgres.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { MessageInput, Storage } from '../src/storage/storage.js';
import { VapidKeyRing } from '../src/vapid-key-ring.js';
import { type Audience, createAudience, eventually } from './helpers/audience.js';
import { type HeraldProcess, startHerald } from './helpers/herald-process.js';
import { postgresUrl } from './helpers/storages.js';

/**
 * The engine across real processes: `herald serve --role worker|all` children sending to a
 * @herald/push-service in this process, whose headless user agent counts what arrives. The
 * workers claim chunks of 100 subscribers and keep 64 pushes in flight. What a crash may send
 * twice is what the killed worker held: the chunks it left leased in `fanout_chunks` (see the
 * worker's documentation).
 */
const chunkSize = 100;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const payload = JSON.stringify({
  web_push: 8030,
  notification: { title: 'Extra!', navigate: 'https://s.example/' },
  mutable: true,
});
const broadcast = (): MessageInput => ({
  target: { all: true },
  payload,
  notification: { title: 'Extra!' },
  ttl: 3600,
  urgency: 'normal',
  topic: null,
  sendAt: Date.now(),
  idempotencyKey: null,
});

const workerEnv = {
  HERALD_ALLOW_PUSH_HOSTS: '127.0.0.1:*',
  HERALD_VAPID_SUBJECT: 'mailto:ops@herald-push.org',
  HERALD_API_KEY: 'hk_test_engine_processes_key_0123456789',
  HERALD_LEASE_SECONDS: '2',
  HERALD_CRYPTO_THREADS: '1',
  HERALD_CONCURRENCY: '64',
  HERALD_CHUNK_SIZE: String(chunkSize),
};

async function setUp(storage: Storage, size: number): Promise<{ service: PushService; audience: Audience }> {
  const keys = new VapidKeyRing(storage);
  await keys.bootstrap();
  const service = await PushService.start({ port: 0 });
  cleanups.push(() => service.close());
  const audience = await createAudience(service, storage, await keys.active(), size);
  cleanups.push(() => audience.close());
  return { service, audience };
}

function spawnHerald(env: Record<string, string>, role: 'worker' | 'all'): HeraldProcess {
  const child = startHerald({ ...workerEnv, ...env }, ['--role', role]);
  cleanups.push(() => child.kill());
  return child;
}

const completed = (storage: Storage, id: string, timeoutMs: number) =>
  eventually(
    async () => ((await storage.getMessage(id))?.status === 'completed' ? true : undefined),
    timeoutMs,
    `message ${id} to complete`,
  );

test('a worker killed with SIGKILL mid-broadcast and restarted leaves no subscriber without the message', {
  timeout: 90_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-kill-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const storage = SqliteStorage.open(join(dir, 'herald.db'));
  cleanups.push(() => storage.close());
  const size = 1_500;
  const { audience } = await setUp(storage, size);
  const { message } = await storage.createMessage(broadcast());

  const first = spawnHerald({ HERALD_DATA_DIR: dir }, 'worker');
  await audience.waitForArrivals(message.id, 300, 30_000).catch((error: Error) => {
    throw new Error(`${error.message}; worker output:\n${first.output.join('\n')}`);
  });
  await first.kill();
  // The documented window: the subscribers of the chunks the killed worker still held.
  const db = new Database(join(dir, 'herald.db'), { readonly: true });
  const heldSubscribers = Number(
    db
      .prepare<[string], { n: number }>(
        'SELECT coalesce(sum(size), 0) AS n FROM fanout_chunks WHERE message_id = ?',
      )
      .get(message.id)?.n ?? 0,
  );
  db.close();
  const before = audience.histogram(message.id);
  expect(before.get(0)).toBeGreaterThan(0);
  expect((await storage.getMessage(message.id))!.status).toBe('sending');

  const second = spawnHerald({ HERALD_DATA_DIR: dir }, 'worker');
  await completed(storage, message.id, 60_000);
  await second.stop();
  const after = audience.histogram(message.id);
  expect(after.get(0) ?? 0).toBe(0);
  // At least once: only what was in flight at the kill may have been sent twice.
  const twice = [...after].filter(([times]) => times > 1).reduce((sum, [, count]) => sum + count, 0);
  expect(twice).toBeLessThanOrEqual(heldSubscribers);
  expect((await storage.getMessage(message.id))!.counts.sent).toBeGreaterThanOrEqual(size);
});

test('two worker processes on PostgreSQL split one broadcast and serve no subscriber twice', {
  timeout: 90_000,
}, async () => {
  const database = `herald_engine_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  const storage = await PostgresStorage.open({ connectionString: url.href, max: 2 });
  cleanups.push(() => storage.close());
  const size = 2_000;
  const { audience } = await setUp(storage, size);

  const workers = [
    spawnHerald({ DATABASE_URL: url.href }, 'all'),
    spawnHerald({ DATABASE_URL: url.href }, 'all'),
  ];
  const urls = await Promise.all(
    workers.map(async (w) => /API (http:\/\/\S+)\/api\/v1/.exec(await w.waitForLine(/listening: API/))![1]!),
  );
  const { message } = await storage.createMessage(broadcast());
  await completed(storage, message.id, 60_000);
  await audience.waitForArrivals(message.id, size, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect([...audience.histogram(message.id)]).toEqual([[1, size]]);

  const sent = await Promise.all(
    urls.map(async (base) => {
      const metrics = await (await fetch(`${base.replace('localhost', '127.0.0.1')}/metrics`)).text();
      return Number(/herald_push_sends_total\{result="sent"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    }),
  );
  expect(sent[0]! + sent[1]!).toBe(size);
  expect(Math.min(...sent)).toBeGreaterThanOrEqual(chunkSize);
  for (const worker of workers) await worker.stop();
});
