import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseCli } from '../src/cli.js';
import { HeadlessUserAgent, PushService } from '../src/index.js';
import { selfSignedCertificate, vapidKeys } from './helpers.js';

let dir: string;
let cert: Buffer;
let key: Buffer;

beforeAll(() => {
  // A self-signed certificate for 127.0.0.1, made fresh for this run.
  ({ dir, cert, key } = selfSignedCertificate('herald-push-tls-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** POSTs over HTTPS trusting the test certificate (fetch cannot take a CA). */
function httpsPost(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, ca: cert }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, location: res.headers.location });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS', () => {
  test('serves https:// pushes and wss:// user agents with a given certificate', async () => {
    const service = await PushService.start({ port: 0, tls: { cert, key } });
    expect(service.websocketUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    expect(service.firefoxPrefs()['dom.push.testing.allowInsecureServerURL']).toBe(false);
    const agent = await HeadlessUserAgent.connect(service.websocketUrl, { websocket: { ca: cert } });
    const subscription = await agent.subscribe();
    expect(subscription.endpoint.startsWith('https://127.0.0.1:')).toBe(true);
    const response = await httpsPost(subscription.endpoint, { ttl: '30' }, Buffer.alloc(0));
    expect(response.status).toBe(201);
    expect(response.location?.startsWith(`${service.origin}/m/`)).toBe(true);
    expect((await agent.waitForMessage()).data).toBeNull();
    agent.close();
    await service.close();
  });

  test('a client that does not trust the certificate cannot connect', async () => {
    const service = await PushService.start({ port: 0, tls: { cert, key } });
    await expect(HeadlessUserAgent.connect(service.websocketUrl)).rejects.toMatchObject({
      code: 'ERR_NOT_CONNECTED',
    });
    await service.close();
  });
});

describe('CLI', () => {
  test('parses its options and refuses bad ones with ERR_INVALID_OPTION', () => {
    expect(parseCli(['--port', '8090', '--data', '/tmp/x', '--control'])).toEqual({
      port: 8090,
      host: '127.0.0.1',
      dataDir: '/tmp/x',
      control: true,
    });
    expect(parseCli(['--help'])).toBe('help');
    for (const args of [
      [],
      ['--port', 'abc'],
      ['--port', '70000'],
      ['--port', '1', '--tls-cert', 'x'],
      ['--port', '1', '--nope'],
    ]) {
      expect(() => parseCli(args)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
    expect(() =>
      parseCli(['--port', '1', '--tls-cert', '/nonexistent', '--tls-key', '/nonexistent']),
    ).toThrow(/TLS files/);
  });

  test('the binary prints its URLs and the Firefox prefs, serves, and stops on SIGTERM', async () => {
    const bin = new URL('../dist/bin.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [
      bin,
      '--port',
      '0',
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
      '--control',
      '--data',
      join(dir, 'data'),
    ]);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('alerts.useSystemBackend')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const wss = /WebSocket \(user agents\): (wss:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!;
    expect(output).toContain(`user_pref("dom.push.serverURL", "${wss}");`);
    expect(output).toContain('SQLite in');
    expect(output).toMatch(/control API: +https:\/\/127\.0\.0\.1:\d+\/_herald\//);
    const keys = await vapidKeys();
    const agent = await HeadlessUserAgent.connect(wss, { websocket: { ca: cert } });
    await agent.subscribe({ applicationServerKey: keys.publicKeyText });
    agent.close();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
