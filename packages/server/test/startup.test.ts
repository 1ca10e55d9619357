import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import { missingSubjectWarning, startHerald } from '../src/server.js';
import { generateVapidKeyPair } from '../src/vapid-key-ring.js';
import { postgresUrl } from './helpers/storages.js';

test('first start generates and prints a VAPID key and an admin key once; a restart reuses them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-start-'));
  try {
    const config = loadConfig({ HERALD_DATA_DIR: dir, PORT: '0', HERALD_HOST: '127.0.0.1' });
    const printed: string[] = [];
    const first = await startHerald(config, { print: (line) => printed.push(line) });
    const text = printed.join('\n');
    expect(text).toContain(missingSubjectWarning);
    expect(text).toContain(first.generatedApiKey!);
    expect(text).toMatch(
      /Herald is listening: API http:\/\/127\.0\.0\.1:\d+\/api\/v1 · docs http:\/\/127\.0\.0\.1:\d+\/docs/,
    );
    const key = (await first.storage.getActiveVapidKey())!.publicKey;
    expect(text).toContain(key);
    const health = await fetch(new URL('/healthz', first.url));
    expect((await health.json()).warnings).toEqual([missingSubjectWarning]);
    await first.close();

    const again: string[] = [];
    const second = await startHerald(config, { print: (line) => again.push(line), listen: false });
    expect(second.generatedApiKey).toBeUndefined();
    expect(again.join('\n')).not.toContain('Admin API key');
    expect((await second.storage.getActiveVapidKey())!.publicKey).toBe(key);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HERALD_VAPID_PUBLIC_KEY/_PRIVATE_KEY: a matching pair becomes the active key; a mismatched one stops the start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-start-'));
  try {
    const pair = await generateVapidKeyPair();
    const other = await generateVapidKeyPair();
    const env = { HERALD_DATA_DIR: dir, PORT: '0' };
    await expect(
      startHerald(
        loadConfig({
          ...env,
          HERALD_VAPID_PUBLIC_KEY: pair.publicKey,
          HERALD_VAPID_PRIVATE_KEY: other.privateKey,
        }),
        {
          print: () => {},
          listen: false,
        },
      ),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG' });
    const server = await startHerald(
      loadConfig({
        ...env,
        HERALD_VAPID_PUBLIC_KEY: pair.publicKey,
        HERALD_VAPID_PRIVATE_KEY: pair.privateKey,
      }),
      { print: () => {}, listen: false },
    );
    expect((await server.storage.getActiveVapidKey())!.publicKey).toBe(pair.publicKey);
    await server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid configuration is refused at start with the variable and the reason', () => {
  expect(() => loadConfig({ HERALD_VAPID_SUBJECT: 'mailto:me@localhost' })).toThrow(/HERALD_VAPID_SUBJECT/);
  expect(() => loadConfig({ HERALD_RATE_LIMIT: '-1' })).toThrow(/HERALD_RATE_LIMIT/);
  expect(() => loadConfig({ HERALD_ALLOW_PUSH_HOSTS: 'http://x/' })).toThrow(/HERALD_ALLOW_PUSH_HOSTS/);
  expect(() => loadConfig({ HERALD_CORS_ORIGINS: 'example.com' })).toThrow(/HERALD_CORS_ORIGINS/);
  expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  expect(() => loadConfig({ HERALD_VAPID_PUBLIC_KEY: 'x' })).toThrow(/set together/);
  expect(loadConfig({ HERALD_VAPID_SUBJECT: 'mailto:ops@herald-push.org' }).vapidSubject).toBe(
    'mailto:ops@herald-push.org',
  );
  expect(loadConfig({}, { port: '8080' }).port).toBe(8080);
});

test('on PostgreSQL, processes starting at once agree on one VAPID key and print one admin key', async () => {
  const schema = `herald_test_start_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const config = loadConfig({ DATABASE_URL: postgresUrl, PORT: '0' });
  try {
    const servers = await Promise.all(
      [0, 1, 2].map(() => startHerald(config, { print: () => {}, listen: false, schema })),
    );
    const keys = await Promise.all(servers.map(async (s) => (await s.storage.getActiveVapidKey())!.id));
    expect(new Set(keys).size).toBe(1);
    expect(servers.filter((s) => s.generatedApiKey !== undefined)).toHaveLength(1);
    for (const server of servers) await server.close();
  } finally {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
});
