import { describeService, PushService, parseCli, usage as pushServiceUsage } from '@herald/push-service';
import { nativeAgreement } from '@herald/webpush/node';
import { createApiKey } from '../auth/api-keys.js';
import { configSources, type HeraldConfig } from '../config.js';
import { WebPushSender } from '../delivery/webpush-sender.js';
import { ServerError } from '../errors.js';
import { checkVapidPublicKey } from '../push/subscription-keys.js';
import { checkKeyPair } from '../push/vapid-pair.js';
import { startHerald } from '../server.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/storage.js';
import { VapidKeyRing } from '../vapid-key-ring.js';
import { send } from './send.js';
import { parseCommand } from './serve-flags.js';

const usage = `Usage: herald <command> [options]

  serve [--role api|worker|all]   run the server (API, docs, delivery worker; default all)
  migrate               apply database migrations and exit
  keys list|rotate      VAPID key pairs (rotation keeps existing subscribers on their key)
  keys import --public-key <b64url> --private-key <b64url> [--activate]
  api-keys create <name>|list|revoke <id>
  send --to topic:<t>|user:<id>|all --title <text> [--body <text>] [--url <url>] [--wait]
  push-service [--port <n>] [--host <addr>] [--data <dir>] [--tls-cert <f> --tls-key <f>] [--control]
                                                         a local push service (@herald/push-service)

Server options (flags of serve, migrate, keys, api-keys; each also an environment variable):
${Object.values(configSources)
  .map(({ env, flag }) => `  --${flag.padEnd(20)} ${env}`)
  .join('\n')}

See docs/configuration.md.`;

async function withStorage<T>(config: HeraldConfig, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    dataDir: config.dataDir,
  });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

async function serve(args: string[]): Promise<number> {
  const { config, positionals } = parseCommand(args, process.env);
  if (positionals.length > 0)
    throw new ServerError('ERR_INVALID_REQUEST', `serve takes no arguments, got "${positionals[0]}"`);
  const sender =
    config.role === 'api'
      ? undefined
      : new WebPushSender(config.cryptoThreads === undefined ? {} : { threads: config.cryptoThreads });
  const server = await startHerald(config, { logger: true, ...(sender ? { sender } : {}) });
  if (sender) console.log(`Herald delivery: ${describeCrypto(sender.threads)}`);
  if (config.role === 'worker') console.log(`Herald worker started (${server.worker?.owner})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

function describeCrypto(threads: number): string {
  const where = threads === 0 ? 'on the event loop' : `on ${threads} thread${threads === 1 ? '' : 's'}`;
  return nativeAgreement
    ? `key agreements ${where}, through @herald/ecdh-native`
    : `key agreements ${where}, through node:crypto (without @herald/ecdh-native: about half the speed)`;
}

async function keys(args: string[]): Promise<number> {
  const { config, values, positionals } = parseCommand(args, process.env, {
    'public-key': { type: 'string' },
    'private-key': { type: 'string' },
    activate: { type: 'boolean', default: false },
  });
  const sub = positionals[0];
  return withStorage(config, async (storage) => {
    const ring = new VapidKeyRing(storage);
    if (sub === 'import') {
      const publicKey = values['public-key'];
      const privateKey = values['private-key'];
      if (typeof publicKey !== 'string' || typeof privateKey !== 'string') {
        throw new ServerError(
          'ERR_INVALID_REQUEST',
          'keys import needs --public-key and --private-key (base64url)',
        );
      }
      await checkVapidPublicKey(publicKey, '--public-key');
      const key = await ring.add(await checkKeyPair(publicKey, privateKey), values.activate === true);
      console.log(`imported ${key.id} ${key.publicKey}${key.active ? ' (active)' : ''}`);
      return 0;
    }
    if (sub === 'rotate') {
      await ring.bootstrap();
      const key = await ring.rotate();
      console.log(`new active key ${key.id} ${key.publicKey}`);
      return 0;
    }
    if (sub === 'list') {
      for (const key of await storage.listVapidKeys()) {
        const state = key.active ? 'active  ' : 'inactive';
        console.log(`${key.id}  ${state}  ${new Date(key.createdAt).toISOString()}  ${key.publicKey}`);
      }
      return 0;
    }
    throw new ServerError('ERR_INVALID_REQUEST', `keys needs list, rotate or import, got "${sub ?? ''}"`);
  });
}

async function apiKeys(args: string[]): Promise<number> {
  const { config, positionals } = parseCommand(args, process.env);
  const [sub, name] = positionals;
  return withStorage(config, async (storage) => {
    if (sub === 'create' && name) {
      const { key, record } = await createApiKey(storage, name);
      console.log(`created ${record.id} "${record.name}"; the key (shown once):\n${key}`);
      return 0;
    }
    if (sub === 'list') {
      for (const key of await storage.listApiKeys()) {
        const state = key.revokedAt === null ? 'active ' : 'revoked';
        console.log(`${key.id}  ${state}  ${new Date(key.createdAt).toISOString()}  ${key.name}`);
      }
      return 0;
    }
    if (sub === 'revoke' && name) {
      if (!(await storage.revokeApiKey(name)))
        throw new ServerError('ERR_NOT_FOUND', `no active API key "${name}"`);
      console.log(`revoked ${name}`);
      return 0;
    }
    throw new ServerError('ERR_INVALID_REQUEST', 'api-keys needs create <name>, list or revoke <id>');
  });
}

/**
 * `herald push-service`: the same options and output as `herald-push-service` (its own parser
 * and description), with port 8090 when none is given.
 */
async function pushService(args: string[]): Promise<number> {
  const options = parseCli(
    args.some((arg) => arg === '--port' || arg.startsWith('--port=')) ? args : ['--port', '8090', ...args],
  );
  if (options === 'help') {
    console.log(pushServiceUsage.replace('herald-push-service', 'herald push-service'));
    return 0;
  }
  const service = await PushService.start(options);
  console.log(describeService(service, options));
  console.log(`Let Herald send to it: HERALD_ALLOW_PUSH_HOSTS=${new URL(service.origin).host}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await service.close();
  return 0;
}

/**
 * The `herald` command line. Returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['serve', '--port', '8080']);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(args);
      case 'migrate':
        return await withStorage(parseCommand(args, process.env).config, async (storage) => {
          console.log(`database ready (${storage.dialect}), migrations applied`);
          return 0;
        });
      case 'keys':
        return await keys(args);
      case 'api-keys':
        return await apiKeys(args);
      case 'send':
        return await send(args, process.env, process.stdout);
      case 'push-service':
        return await pushService(args);
      case undefined:
      case 'help':
      case '--help':
        console.log(usage);
        return command === undefined ? 2 : 0;
      default:
        console.error(`herald: unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (error) {
    const code =
      error instanceof ServerError ? error.code : ((error as { code?: string }).code ?? 'ERR_INTERNAL');
    console.error(`herald ${command}: ${code}: ${(error as Error).message}`);
    return 1;
  }
}
