import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { progressLine } from '../src/cli/progress-bar.js';
import { send } from '../src/cli/send.js';
import { generateVapidKeyPair } from '../src/vapid-key-ring.js';
import { fakeBrowserSubscription, testServer } from './helpers/server.js';

let dir: string;
let logs: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  logs = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => logs.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => logs.push(line));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const herald = (...args: string[]) => main([...args, '--data-dir', dir]);

// Each step's output is searched among the lines it printed (the spy sees every console line of
// this process, so assertions never depend on a line being the very last one).
async function run(...args: string[]): Promise<{ code: number; text: string }> {
  logs = [];
  const code = await herald(...args);
  return { code, text: logs.join('\n') };
}

test('migrate, keys list|rotate|import, api-keys create|list|revoke work on the configured database', async () => {
  expect(await run('migrate')).toMatchObject({
    code: 0,
    text: expect.stringContaining('database ready (sqlite)'),
  });
  expect((await run('keys', 'rotate')).code).toBe(0);
  expect((await run('keys', 'rotate')).code).toBe(0);
  const list = await run('keys', 'list');
  expect(list.code).toBe(0);
  // The first rotation bootstrapped a key, then rotated it; the second rotated again.
  expect(list.text.match(/^vk_\w+ {2}(active|inactive)/gm)).toHaveLength(3);
  expect(list.text.match(/^vk_\w+ {2}active /gm)).toHaveLength(1);

  const pair = await generateVapidKeyPair();
  const other = await generateVapidKeyPair();
  const mismatched = await run(
    'keys',
    'import',
    '--public-key',
    pair.publicKey,
    '--private-key',
    other.privateKey,
  );
  expect(mismatched).toMatchObject({ code: 1, text: expect.stringContaining('does not belong') });
  const imported = await run(
    'keys',
    'import',
    '--public-key',
    pair.publicKey,
    '--private-key',
    pair.privateKey,
    '--activate',
  );
  expect(imported).toMatchObject({ code: 0, text: expect.stringContaining('(active)') });

  const created = await run('api-keys', 'create', 'deploy');
  expect(created.code).toBe(0);
  const key = /hk_(key_[0-9A-Z]{26})_[A-Za-z0-9_-]{43}/.exec(created.text);
  expect(key).not.toBeNull();
  const id = key![1]!;
  expect((await run('api-keys', 'list')).text).toContain(`${id}  active`);
  expect((await run('api-keys', 'revoke', id)).code).toBe(0);
  expect((await run('api-keys', 'list')).text).toContain(`${id}  revoked`);
  expect(await run('api-keys', 'revoke', id)).toMatchObject({
    code: 1,
    text: expect.stringContaining('ERR_NOT_FOUND'),
  });
});

test('unknown commands and options are refused with the usage, exit code 2 or 1', async () => {
  logs = [];
  expect(await main(['frobnicate'])).toBe(2);
  expect(logs.join('\n')).toContain('Usage: herald');
  expect(await run('migrate', '--colour', 'red')).toMatchObject({
    code: 1,
    text: expect.stringContaining("Unknown option '--colour'"),
  });
  logs = [];
  expect(await main(['migrate', '--port', 'many'])).toBe(1);
  expect(logs.join('\n')).toContain('ERR_INVALID_CONFIG');
});

test('send --wait shows the counts move to the end against a running server', async () => {
  const sent: string[] = [];
  const t = await testServer(
    {},
    {
      listen: true,
      sender: {
        async send(request) {
          sent.push(request.endpoint);
          return { status: 201, retryAfterMs: undefined, body: '' };
        },
        async close() {},
      },
    },
  );
  try {
    for (let i = 0; i < 3; i++) {
      await t.server.app.inject({
        method: 'POST',
        url: '/api/v1/subscriptions',
        payload: { subscription: fakeBrowserSubscription(), topics: ['cli'] },
      });
    }
    const out: string[] = [];
    const code = await send(
      ['--to', 'topic:cli', '--title', 'From the CLI', '--wait', '--server', t.server.url, '--poll-ms', '20'],
      { HERALD_API_KEY: t.apiKey },
      { write: (text) => out.push(text) },
    );
    expect(code).toBe(0);
    expect(sent).toHaveLength(3);
    expect(out[0]).toMatch(/^message msg_\w+ accepted/);
    expect(out.at(-2)).toContain('100%  sent 3  failed 0  gone 0  pending 0 of 3');
    expect(out.at(-1)).toMatch(/completed/);
    const refused = await send(
      ['--to', 'all', '--title', 'x', '--server', t.server.url],
      { HERALD_API_KEY: 'wrong' },
      {
        write: (text) => out.push(text),
      },
    );
    expect(refused).toBe(1);
    expect(out.at(-1)).toContain('ERR_UNAUTHORIZED');
    await expect(
      send(['--to', 'nowhere', '--title', 'x'], { HERALD_API_KEY: 'k' }, { write: () => {} }),
    ).rejects.toThrow('--to must be');
  } finally {
    await t.dispose();
  }
});

test('progressLine draws the share of finished deliveries', () => {
  expect(progressLine({ targeted: 10, sent: 4, failed: 1, gone: 0, pending: 5 }, 10)).toBe(
    '[#####-----]  50%  sent 4  failed 1  gone 0  pending 5 of 10',
  );
  expect(progressLine({ targeted: 0, sent: 0, failed: 0, gone: 0, pending: 0 }, 4)).toBe(
    '[####] 100%  sent 0  failed 0  gone 0  pending 0 of 0',
  );
});

test('push-service takes the options of herald-push-service (TLS, control API) and stops on SIGTERM', async () => {
  // The binary as `npx herald` runs it, on the build, in a child process: the command runs
  // until a signal, which a test must not send to itself.
  const bin = new URL('../bin/herald.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'push-service', '--port', '0', '--control', '--data', dir]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await vi.waitUntil(() => out.includes('HERALD_ALLOW_PUSH_HOSTS='), { timeout: 15_000, interval: 50 });
  expect(out).toContain(`SQLite in ${dir}`);
  expect(out).toMatch(/control API: +http:\/\/127\.0\.0\.1:\d+\/_herald/);
  expect(out).toContain('user_pref("dom.push.serverURL"');
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  logs = [];
  expect(await main(['push-service', '--tls-cert', '/nonexistent'])).toBe(1);
  expect(logs.join('\n')).toContain('ERR_INVALID_OPTION');
});
