/**
 * The `herald-webpush` command, spawned as users run it: against real HTTP servers on port 0
 * and against `web-push-testing`, an independent mock push service that checks VAPID and
 * decrypts what it receives with Mozilla's http_ece.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAesgcmHeaders } from '../src/ece/aesgcm.js';
import { decrypt } from '../src/ece/decrypt.js';
import { importVapidKeys } from '../src/vapid/keys.js';
import { VapidVerifier } from '../src/vapid/verifier.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { subscriber } from './helpers/subscriber.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let outDir: string;
let cli: string;

beforeAll(async () => {
  // Bundled from the sources (the tests' herald-source condition), inside the package so that
  // undici resolves from node_modules; no tsc run that could race another test file's.
  await mkdir(join(packageDir, 'test-artifacts'), { recursive: true });
  outDir = await mkdtemp(join(packageDir, 'test-artifacts/cli-'));
  cli = join(outDir, 'cli.mjs');
  await build({
    entryPoints: [join(packageDir, 'src/node/cli.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['herald-source'],
    external: ['undici'],
    logLevel: 'silent',
  });
});
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function herald(...args: string[]): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

describe('generate-vapid-keys', () => {
  test('--json prints a key pair that imports', async () => {
    const run = await herald('generate-vapid-keys', '--json');
    expect(run.code).toBe(0);
    const keys = JSON.parse(run.stdout);
    expect(await importVapidKeys(keys)).toEqual(keys);
  });

  test("without --json it prints web-push's layout", async () => {
    const run = await herald('generate-vapid-keys');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\n=+\n\nPublic Key:\n[\w-]{87}\n\nPrivate Key:\n[\w-]{43}\n\n=+\n\n$/);
  });
});

describe('send-notification against a server on port 0', () => {
  let server: TestServer;
  let vapid: { publicKey: string; privateKey: string };
  beforeAll(async () => {
    server = await startServer((request, response) => {
      const [, action, arg] = request.url!.split('/');
      if (action === 'stall') return;
      response.writeHead(action === 'status' ? Number(arg) : 201, { location: '/m/1' });
      response.end(arg === '403' ? '{"reason":"BadJwtToken"}' : '');
    });
    vapid = JSON.parse((await herald('generate-vapid-keys', '--json')).stdout);
  });
  afterAll(() => server.close());

  const vapidArgs = () => [
    '--vapid-subject=mailto:push@example.com',
    `--vapid-pubkey=${vapid.publicKey}`,
    `--vapid-pvtkey=${vapid.privateKey}`,
  ];

  test('accepted: exit 0, and the push service got a signed message the subscriber decrypts', async () => {
    const ua = await subscriber(`${server.url}/status/201`);
    const before = server.requests.length;
    const run = await herald(
      'send-notification',
      `--endpoint=${ua.json.endpoint}`,
      `--key=${ua.json.keys.p256dh}`,
      `--auth=${ua.json.keys.auth}`,
      '--payload=héllo from the CLI',
      '--ttl=60',
      '--urgency=high',
      '--topic=cli',
      ...vapidArgs(),
    );
    expect(run).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'Push message sent: delivered (status 201): /m/1\n',
    });
    const seen = server.requests[before]!;
    expect(seen.headers).toMatchObject({
      ttl: '60',
      urgency: 'high',
      topic: 'cli',
      'content-encoding': 'aes128gcm',
    });
    const verifier = new VapidVerifier({ audience: server.url });
    await verifier.verify({ authorization: seen.headers.authorization, expectedPublicKey: vapid.publicKey });
    const plaintext = await decrypt(new Uint8Array(seen.body), ua, { contentEncoding: 'aes128gcm' });
    expect(new TextDecoder().decode(plaintext)).toBe('héllo from the CLI');
  });

  test('--encoding=aesgcm sends the legacy encoding', async () => {
    const ua = await subscriber(`${server.url}/status/201`);
    const before = server.requests.length;
    const run = await herald(
      'send-notification',
      `--endpoint=${ua.json.endpoint}`,
      `--key=${ua.json.keys.p256dh}`,
      `--auth=${ua.json.keys.auth}`,
      '--payload=old',
      '--encoding=aesgcm',
      ...vapidArgs(),
    );
    expect(run.code).toBe(0);
    const { headers, body } = server.requests[before]!;
    expect(headers.authorization).toMatch(/^WebPush /);
    const params = parseAesgcmHeaders(String(headers.encryption), String(headers['crypto-key']));
    const plaintext = await decrypt(new Uint8Array(body), ua, { contentEncoding: 'aesgcm', ...params });
    expect(new TextDecoder().decode(plaintext)).toBe('old');
  });

  test('no keys and no payload: a tickle, as web-push allows', async () => {
    const run = await herald('send-notification', `--endpoint=${server.url}/status/201`);
    expect(run.code).toBe(0);
  });

  test.each([
    ['410', 'herald-webpush: gone (status 410)\n'],
    ['429', 'herald-webpush: throttled (status 429)\n'],
    ['403', 'herald-webpush: unauthorized (status 403): BadJwtToken\n'],
    ['500', 'herald-webpush: push-service-error (status 500)\n'],
  ])('answered %s: exit 1 and one line naming the outcome and the status', async (status, line) => {
    const run = await herald('send-notification', `--endpoint=${server.url}/status/${status}`);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: line });
  });

  test('--timeout bounds a server that never answers', async () => {
    const run = await herald('send-notification', `--endpoint=${server.url}/stall`, '--timeout=300');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^herald-webpush: timeout \(no status\): no complete answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms\n$/,
    );
  });

  test('a refused connection is a network error', async () => {
    const closed = await startServer(() => {});
    await closed.close();
    const run = await herald('send-notification', `--endpoint=${closed.url}/x`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^herald-webpush: network-error \(no status\): .*ECONNREFUSED/);
  });

  test('invalid input and usage errors: exit 2 with the reason', async () => {
    const badKey = await herald(
      'send-notification',
      `--endpoint=${server.url}/x`,
      '--key=AAAA',
      '--auth=AAAA',
      '--payload=x',
    );
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toBe(
      'herald-webpush: ERR_INVALID_SUBSCRIPTION: keys.p256dh must be a 65-byte uncompressed P-256 point, got 3 bytes\n',
    );
    const badSubject = await herald(
      'send-notification',
      `--endpoint=${server.url}/x`,
      '--vapid-subject=mailto:me@localhost',
      `--vapid-pubkey=${vapid.publicKey}`,
      `--vapid-pvtkey=${vapid.privateKey}`,
    );
    expect(badSubject.code).toBe(2);
    expect(badSubject.stderr).toMatch(/^herald-webpush: ERR_VAPID_SUBJECT: /);
    for (const args of [
      ['send-notification'],
      ['send-notification', `--endpoint=${server.url}/x`, '--ttl=soon'],
      ['send-notification', `--endpoint=${server.url}/x`, '--vapid-subject=mailto:a@example.com'],
      ['send-notification', `--endpoint=${server.url}/x`, '--unknown=1'],
      ['frobnicate'],
    ]) {
      const run = await herald(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/Usage:/);
    }
    expect(server.requests.every((r) => r.url !== '/x')).toBe(true);
  });
});

describe('send-notification against web-push-testing', () => {
  let service: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    const script = join(packageDir, '../../node_modules/web-push-testing/src/bin/server.js');
    service = spawn(process.execPath, [script, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      service.stdout!.on('data', (chunk) => {
        output += chunk;
        if (output.includes('Server running on port')) resolve();
      });
      service.on('exit', (code) => reject(new Error(`web-push-testing exited with ${code}: ${output}`)));
    });
    // It names its endpoints http://localhost:<port>/notify/<client>.
    base = `http://localhost:${port}`;
  });
  afterAll(() => {
    service.kill();
  });

  async function api(path: string, body: object): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const isJson = response.headers.get('content-type')?.startsWith('application/json') === true;
    return { status: response.status, json: isJson ? await response.json() : await response.text() };
  }

  test('it accepts and decrypts what our CLI sends, in both encodings, VAPID checked', async () => {
    const vapid = JSON.parse((await herald('generate-vapid-keys', '--json')).stdout);
    const subscribed = await api('/subscribe', {
      applicationServerKey: vapid.publicKey,
      userVisibleOnly: 'true',
    });
    expect(subscribed.status).toBe(200);
    const { endpoint, keys, clientHash } = (
      subscribed.json as {
        data: { endpoint: string; keys: { p256dh: string; auth: string }; clientHash: string };
      }
    ).data;
    expect(endpoint.startsWith(`${base}/notify/`)).toBe(true);

    const sent: string[] = [];
    for (const encoding of ['aes128gcm', 'aesgcm']) {
      const payload = `hello via ${encoding} ✓`;
      const run = await herald(
        'send-notification',
        `--endpoint=${endpoint}`,
        `--key=${keys.p256dh}`,
        `--auth=${keys.auth}`,
        `--payload=${payload}`,
        `--encoding=${encoding}`,
        '--ttl=120',
        '--vapid-subject=mailto:push@example.com',
        `--vapid-pubkey=${vapid.publicKey}`,
        `--vapid-pvtkey=${vapid.privateKey}`,
      );
      expect(run, run.stderr).toMatchObject({
        code: 0,
        stdout: 'Push message sent: delivered (status 201)\n',
      });
      sent.push(payload);
    }
    const received = await api('/get-notifications', { clientHash });
    expect(received).toEqual({ status: 200, json: { data: { messages: sent } } });

    // A key other than the subscription's is refused by the service, and reported as such.
    const other = JSON.parse((await herald('generate-vapid-keys', '--json')).stdout);
    const wrongKey = await herald(
      'send-notification',
      `--endpoint=${endpoint}`,
      `--key=${keys.p256dh}`,
      `--auth=${keys.auth}`,
      '--payload=x',
      '--vapid-subject=mailto:push@example.com',
      `--vapid-pubkey=${other.publicKey}`,
      `--vapid-pvtkey=${other.privateKey}`,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toBe(
      'herald-webpush: bad-request (status 400): Invalid Crypto-Key header sent\n',
    );

    // An expired subscription answers 410: gone.
    expect((await api(`/expire-subscription/${clientHash}`, {})).status).toBe(200);
    const gone = await herald(
      'send-notification',
      `--endpoint=${endpoint}`,
      `--key=${keys.p256dh}`,
      `--auth=${keys.auth}`,
      '--payload=late',
      '--vapid-subject=mailto:push@example.com',
      `--vapid-pubkey=${vapid.publicKey}`,
      `--vapid-pvtkey=${vapid.privateKey}`,
    );
    expect(gone).toMatchObject({
      code: 1,
      stderr: 'herald-webpush: gone (status 410): Push subscription has unsubscribed or expired.\n',
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.on('error', reject);
    probe.listen(0, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
