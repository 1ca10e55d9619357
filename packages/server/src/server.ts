import type { FastifyInstance } from 'fastify';
import { createApiKey } from './auth/api-keys.js';
import { LinkTokens } from './auth/link-tokens.js';
import type { HeraldConfig } from './config.js';
import type { PushSender } from './delivery/sender.js';
import { DeliveryWorker } from './delivery/worker.js';
import { ServerError } from './errors.js';
import { buildApp } from './http/app.js';
import type { AppContext } from './http/context.js';
import { newId } from './ids.js';
import { Metrics } from './metrics.js';
import { EndpointPolicy } from './push/endpoint-policy.js';
import { ReceiptTokens } from './push/receipt-tokens.js';
import { checkVapidPublicKey } from './push/subscription-keys.js';
import { checkKeyPair } from './push/vapid-pair.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/storage.js';
import { VapidKeyRing } from './vapid-key-ring.js';

/** Options of {@link startHerald}. */
export interface StartOptions {
  /** Fastify logger option (JSON logs); default off. */
  logger?: boolean;
  /** Where start-up notices go (the admin key, the URLs, warnings); default `console.log`. */
  print?: (line: string) => void;
  /**
   * How pushes are sent; without it no worker runs (an API-only process). `config.role` `api`
   * runs no worker either, and `worker` does not listen.
   */
  sender?: PushSender;
  /** Worker tuning, for tests. */
  worker?: { idleMs?: number; batchSize?: number; leaseMs?: number; originConcurrency?: number };
  /** Listen on `config.port` (default true); false builds everything without a socket. */
  listen?: boolean;
  /** PostgreSQL schema (tests). */
  schema?: string;
}

/** A running Herald. */
export interface HeraldServer {
  app: FastifyInstance;
  storage: Storage;
  context: AppContext;
  worker: DeliveryWorker | undefined;
  /** `http://host:port` once listening. */
  url: string;
  /** The admin key generated on this start, if this start generated one. */
  generatedApiKey: string | undefined;
  close(): Promise<void>;
}

/**
 * The warning printed (and reported by /healthz) while HERALD_VAPID_SUBJECT is unset.
 *
 * @example
 * ```ts
 * (await (await fetch(`${url}/healthz`)).json()).warnings; // [missingSubjectWarning]
 * ```
 */
export const missingSubjectWarning =
  'HERALD_VAPID_SUBJECT is not set: pushes to Apple (Safari) endpoints will fail with ERR_VAPID_SUBJECT_REQUIRED ' +
  'until it is. Set it to mailto:you@your-domain or an https: URL of your site.';

/** Checks HERALD_VAPID_PUBLIC_KEY/_PRIVATE_KEY as a pair; a bad pair stops the start. */
async function configuredKeyPair(publicKey: string, privateKey: string) {
  try {
    await checkVapidPublicKey(publicKey, 'HERALD_VAPID_PUBLIC_KEY');
    return await checkKeyPair(publicKey, privateKey);
  } catch (cause) {
    throw new ServerError(
      'ERR_INVALID_CONFIG',
      `HERALD_VAPID_PUBLIC_KEY/PRIVATE_KEY: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/**
 * Starts Herald: opens the storage (migrating it), makes sure a VAPID key pair and an admin API
 * key exist (generating them on first start, race-safe when several processes start at once),
 * builds the HTTP app, starts the delivery worker and listens.
 *
 * @example
 * ```ts
 * const server = await startHerald(loadConfig(process.env), { logger: true, sender });
 * await server.close();
 * ```
 */
export async function startHerald(config: HeraldConfig, options: StartOptions = {}): Promise<HeraldServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const warnings: string[] = [];
  if (config.vapidSubject === undefined) {
    warnings.push(missingSubjectWarning);
    print(`\n  WARNING  ${missingSubjectWarning}\n`);
  }
  const storage = await openStorage({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    dataDir: config.dataDir,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  try {
    const keys = new VapidKeyRing(storage);
    const configuredPair =
      config.vapidPublicKey && config.vapidPrivateKey
        ? await configuredKeyPair(config.vapidPublicKey, config.vapidPrivateKey)
        : undefined;
    const { key, generated } = await keys.bootstrap(configuredPair);
    if (generated) print(`Generated a VAPID key pair; public key: ${key.publicKey}`);

    let generatedApiKey: string | undefined;
    if (config.apiKey === undefined) {
      // The first process to record the bootstrap key's id creates it; the others see the record.
      const candidate = newId('key');
      if ((await storage.setSettingIfAbsent('bootstrap_api_key', candidate)) === candidate) {
        generatedApiKey = (await createApiKey(storage, 'generated on first start', candidate)).key;
        print(
          `\n  Admin API key (shown once; keep it somewhere safe):\n\n    ${generatedApiKey}\n\n` +
            '  Use it as: Authorization: Bearer <key>. Create more with: herald api-keys create <name>\n',
        );
      }
    }

    const context: AppContext = {
      config,
      storage,
      keys,
      linkTokens: await LinkTokens.load(storage),
      receipts: await ReceiptTokens.load(storage),
      endpoints: new EndpointPolicy(config.allowPushHosts),
      metrics: new Metrics(),
    };
    const app = await buildApp(context, { logger: options.logger ?? false, warnings });
    const sender = config.role === 'api' ? undefined : options.sender;
    const worker = sender
      ? new DeliveryWorker({
          storage,
          sender,
          concurrency: config.concurrency,
          batchSize: config.chunkSize,
          leaseMs: config.leaseSeconds * 1000,
          keys,
          receipts: context.receipts,
          metrics: context.metrics,
          vapidSubject: config.vapidSubject,
          ...options.worker,
          onError: (error) => app.log.error({ err: error }, 'delivery worker step failed'),
        })
      : undefined;
    app.addHook('onResponse', async (request, reply) => {
      if (request.method === 'POST' && request.url === '/api/v1/messages' && reply.statusCode === 202)
        worker?.wake();
    });
    worker?.start();

    let url = '';
    if ((options.listen ?? true) && config.role !== 'worker') {
      url = await app.listen({ port: config.port, host: config.host });
      const shown = url.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
      // The dashboard (issue 6) is named once it is served at `/`.
      const dashboard = app.hasRoute({ method: 'GET', url: '/' }) ? ` · dashboard ${shown}/` : '';
      print(
        `Herald is listening: API ${shown}/api/v1 · docs ${shown}/docs${dashboard} · OpenAPI ${shown}/openapi.json`,
      );
    }
    return {
      app,
      storage,
      context,
      worker,
      url,
      generatedApiKey,
      async close() {
        await worker?.stop();
        await app.close();
        await options.sender?.close();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
