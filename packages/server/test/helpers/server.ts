import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBase64Url } from '@herald/webpush';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import type { PushSender } from '../../src/delivery/sender.js';
import { type HeraldServer, startHerald } from '../../src/server.js';
import { postgresUrl } from './storages.js';

/** A Herald on a fresh SQLite database, not listening unless asked; `dispose` removes everything. */
export interface TestServer {
  server: HeraldServer;
  apiKey: string;
  printed: string[];
  /** `Authorization` header for admin routes. */
  admin: { authorization: string };
  dispose(): Promise<void>;
}

export async function testServer(
  env: Record<string, string> = {},
  options: {
    listen?: boolean;
    sender?: PushSender;
    worker?: { idleMs?: number };
    /** Run on PostgreSQL, in a schema of its own dropped on dispose. */
    postgres?: boolean;
  } = {},
): Promise<TestServer> {
  const schema = options.postgres
    ? `herald_test_api_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
    : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'herald-api-'));
  const printed: string[] = [];
  const config = loadConfig({
    HERALD_DATA_DIR: dir,
    PORT: '0',
    HERALD_HOST: '127.0.0.1',
    HERALD_VAPID_SUBJECT: 'mailto:ops@herald-push.org',
    HERALD_RATE_LIMIT: '0',
    ...(schema ? { DATABASE_URL: postgresUrl } : {}),
    ...env,
  });
  const server = await startHerald(config, {
    print: (line) => printed.push(line),
    listen: options.listen ?? false,
    ...(options.sender ? { sender: options.sender } : {}),
    worker: { idleMs: 20, ...options.worker },
    ...(schema ? { schema } : {}),
  });
  const apiKey = server.generatedApiKey ?? config.apiKey!;
  return {
    server,
    apiKey,
    printed,
    admin: { authorization: `Bearer ${apiKey}` },
    async dispose() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
      if (schema) {
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    },
  };
}

/** A browser-like PushSubscription JSON with real P-256 and auth keys. */
export function fakeBrowserSubscription(
  endpoint = `https://fcm.googleapis.com/fcm/send/${randomBytes(8).toString('hex')}`,
) {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: encodeBase64Url(point), auth: encodeBase64Url(randomBytes(16)) },
  };
}
