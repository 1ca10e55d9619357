/**
 * The whole Herald stack on loopback for browser tests: `@herald/push-service` on a free port and
 * a listening Herald (SQLite in a temporary directory) that sends through `@herald/webpush` and
 * accepts the push service's `127.0.0.1` endpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PushService } from '@herald/push-service';
import { loadConfig } from '../../src/config.js';
import { WebPushSender } from '../../src/delivery/webpush-sender.js';
import { type HeraldServer, startHerald } from '../../src/server.js';

export interface Stack {
  push: PushService;
  herald: HeraldServer;
  /** `http://127.0.0.1:<port>`: the API, the dashboard and the demo site. */
  url: string;
  apiKey: string;
  /** Calls the admin API. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  dispose(): Promise<void>;
}

/** `env` adds to (or overrides) the Herald settings, e.g. `HERALD_CORS_ORIGINS`. */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const push = await PushService.start({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'herald-stack-'));
  // No crypto threads: a thread runs compiled JavaScript, not the sources the tests load.
  const sender = new WebPushSender({ threads: 0 });
  const herald = await startHerald(
    loadConfig({
      HERALD_DATA_DIR: dir,
      PORT: '0',
      HERALD_HOST: '127.0.0.1',
      HERALD_VAPID_SUBJECT: 'mailto:ops@example.com',
      HERALD_RATE_LIMIT: '0',
      HERALD_ALLOW_PUSH_HOSTS: '127.0.0.1:*',
      ...env,
    }),
    { listen: true, sender, print: () => undefined, worker: { idleMs: 20 } },
  );
  const apiKey = herald.generatedApiKey!;
  const url = herald.url.replace('localhost', '127.0.0.1');
  return {
    push,
    herald,
    url,
    apiKey,
    async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async dispose() {
      await herald.close(); // closes the sender too
      await push.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
