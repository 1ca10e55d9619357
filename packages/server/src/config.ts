import { validateVapidSubject } from '@herald/webpush';
import { ServerError } from './errors.js';
import { EndpointPolicy } from './push/endpoint-policy.js';

/** The server's configuration, from environment variables and `herald serve` flags. */
export interface HeraldConfig {
  /** `PORT`, default 3000. */
  port: number;
  /** `HERALD_HOST`, default `0.0.0.0`. */
  host: string;
  /** `HERALD_DATA_DIR`, default `./data`: where the SQLite database lives. */
  dataDir: string;
  /** `DATABASE_URL`: `postgres://...` selects PostgreSQL. */
  databaseUrl: string | undefined;
  /** `HERALD_API_KEY`: an admin key to accept instead of generating one. */
  apiKey: string | undefined;
  /** `HERALD_VAPID_SUBJECT`: the VAPID `sub` claim (RFC 8292 §2.1), validated. */
  vapidSubject: string | undefined;
  /** `HERALD_CORS_ORIGINS`: origins allowed to call the public API from browsers (`*` for any). */
  corsOrigins: string[];
  /** `HERALD_ALLOW_PUSH_HOSTS`: extra `host[:port]` patterns allowed as push endpoints. */
  allowPushHosts: string[];
  /** `HERALD_RATE_LIMIT`: public API requests per minute per client address; 0 turns it off. */
  rateLimit: number;
  /** `HERALD_TRUST_PROXY`: take the client address from `X-Forwarded-For`. */
  trustProxy: boolean;
  /** `HERALD_VAPID_PUBLIC_KEY` and `HERALD_VAPID_PRIVATE_KEY`: bring an existing key pair. */
  vapidPublicKey: string | undefined;
  vapidPrivateKey: string | undefined;
  /** `HERALD_SITE_URL`: the site's URL, where a notification without `url` leads. */
  siteUrl: string;
  /**
   * `HERALD_ROLE` (`herald serve --role`): `api` serves HTTP only, `worker` delivers only (no
   * HTTP port), `all` (default) does both. Any number of workers may share a PostgreSQL database.
   */
  role: 'api' | 'worker' | 'all';
  /** `HERALD_CRYPTO_THREADS`: threads for each push's key agreement; default cores - 1, 0 does all on the event loop. */
  cryptoThreads: number | undefined;
  /** `HERALD_CONCURRENCY`: pushes a worker keeps in flight at once, default 256. */
  concurrency: number;
  /** `HERALD_CHUNK_SIZE`: subscribers a worker claims at a time in a fan-out, default 500. */
  chunkSize: number;
  /**
   * `HERALD_LEASE_SECONDS`: how long claimed work stays with a worker that stopped renewing it
   * (a crashed process) before another takes it over; default 30.
   */
  leaseSeconds: number;
  /** `HERALD_IMPORT_MAX_ENTRIES`: entries one bulk import may hold, default 1,000,000. */
  importMaxEntries: number;
}

/**
 * Where each setting comes from: the environment variable and the `herald serve` flag.
 *
 * @example
 * ```ts
 * configSources.port; // { env: 'PORT', flag: 'port' }
 * ```
 */
export const configSources = {
  port: { env: 'PORT', flag: 'port' },
  host: { env: 'HERALD_HOST', flag: 'host' },
  dataDir: { env: 'HERALD_DATA_DIR', flag: 'data-dir' },
  databaseUrl: { env: 'DATABASE_URL', flag: 'database-url' },
  apiKey: { env: 'HERALD_API_KEY', flag: 'api-key' },
  vapidSubject: { env: 'HERALD_VAPID_SUBJECT', flag: 'vapid-subject' },
  corsOrigins: { env: 'HERALD_CORS_ORIGINS', flag: 'cors-origins' },
  allowPushHosts: { env: 'HERALD_ALLOW_PUSH_HOSTS', flag: 'allow-push-hosts' },
  rateLimit: { env: 'HERALD_RATE_LIMIT', flag: 'rate-limit' },
  trustProxy: { env: 'HERALD_TRUST_PROXY', flag: 'trust-proxy' },
  vapidPublicKey: { env: 'HERALD_VAPID_PUBLIC_KEY', flag: 'vapid-public-key' },
  vapidPrivateKey: { env: 'HERALD_VAPID_PRIVATE_KEY', flag: 'vapid-private-key' },
  siteUrl: { env: 'HERALD_SITE_URL', flag: 'site-url' },
  role: { env: 'HERALD_ROLE', flag: 'role' },
  cryptoThreads: { env: 'HERALD_CRYPTO_THREADS', flag: 'crypto-threads' },
  concurrency: { env: 'HERALD_CONCURRENCY', flag: 'concurrency' },
  chunkSize: { env: 'HERALD_CHUNK_SIZE', flag: 'chunk-size' },
  leaseSeconds: { env: 'HERALD_LEASE_SECONDS', flag: 'lease-seconds' },
  importMaxEntries: { env: 'HERALD_IMPORT_MAX_ENTRIES', flag: 'import-max-entries' },
} as const satisfies Record<keyof HeraldConfig, { env: string; flag: string }>;

const invalid = (name: string, expected: string, got: string) =>
  new ServerError('ERR_INVALID_CONFIG', `${name} must be ${expected}, got ${JSON.stringify(got)}`);

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/**
 * Reads the configuration: a flag wins over its environment variable, which wins over the
 * default. Throws `ERR_INVALID_CONFIG` naming the variable and the value at fault.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env, { port: '8080' });
 * ```
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  flags: Partial<Record<keyof HeraldConfig, string | boolean>> = {},
): HeraldConfig {
  const read = (key: keyof HeraldConfig): string | undefined => {
    const flag = flags[key];
    if (flag !== undefined) return String(flag);
    const value = env[configSources[key].env];
    return value === undefined || value === '' ? undefined : value;
  };
  const port = Number(read('port') ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid('PORT', 'an integer from 0 to 65535', String(read('port')));
  }
  const rateLimit = Number(read('rateLimit') ?? '60');
  if (!Number.isInteger(rateLimit) || rateLimit < 0) {
    throw invalid(
      'HERALD_RATE_LIMIT',
      'a whole number of requests per minute (0 turns the limit off)',
      String(read('rateLimit')),
    );
  }
  const trustProxyText = (read('trustProxy') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0', 'yes', 'no'].includes(trustProxyText)) {
    throw invalid('HERALD_TRUST_PROXY', 'true or false', trustProxyText);
  }
  const databaseUrl = read('databaseUrl');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw invalid('DATABASE_URL', 'a postgres:// URL (leave it unset for SQLite)', databaseUrl);
  }
  const vapidSubject = read('vapidSubject');
  if (vapidSubject !== undefined) {
    // The same rule the signer applies (@herald/webpush), checked at start rather than per send.
    try {
      validateVapidSubject(vapidSubject);
    } catch (cause) {
      throw new ServerError('ERR_INVALID_CONFIG', `HERALD_VAPID_SUBJECT: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  const corsOrigins = list(read('corsOrigins'));
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) {
      throw invalid(
        'HERALD_CORS_ORIGINS',
        'a comma-separated list of origins like https://example.com, or *',
        origin,
      );
    }
  }
  const allowPushHosts = list(read('allowPushHosts'));
  new EndpointPolicy(allowPushHosts);
  const vapidPublicKey = read('vapidPublicKey');
  const vapidPrivateKey = read('vapidPrivateKey');
  if ((vapidPublicKey === undefined) !== (vapidPrivateKey === undefined)) {
    throw new ServerError(
      'ERR_INVALID_CONFIG',
      'HERALD_VAPID_PUBLIC_KEY and HERALD_VAPID_PRIVATE_KEY must be set together, got only one of them',
    );
  }
  const siteUrl = read('siteUrl') ?? corsOrigins.find((o) => o !== '*') ?? `http://localhost:${port}`;
  try {
    new URL(siteUrl);
  } catch {
    throw invalid('HERALD_SITE_URL', 'an absolute URL', siteUrl);
  }
  const role = read('role') ?? 'all';
  if (role !== 'api' && role !== 'worker' && role !== 'all')
    throw invalid('HERALD_ROLE', 'api, worker or all', role);
  const wholeNumber = (key: keyof HeraldConfig, fallback: number | undefined, min: number) => {
    const text = read(key);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw invalid(configSources[key].env, `a whole number of at least ${min}`, text);
    }
    return value;
  };
  return {
    role,
    cryptoThreads: wholeNumber('cryptoThreads', undefined, 0),
    concurrency: wholeNumber('concurrency', 256, 1)!,
    chunkSize: wholeNumber('chunkSize', 500, 1)!,
    leaseSeconds: wholeNumber('leaseSeconds', 30, 1)!,
    importMaxEntries: wholeNumber('importMaxEntries', 1_000_000, 1)!,
    port,
    host: read('host') ?? '0.0.0.0',
    dataDir: read('dataDir') ?? './data',
    databaseUrl,
    apiKey: read('apiKey'),
    vapidSubject,
    corsOrigins,
    allowPushHosts,
    rateLimit,
    trustProxy: ['true', '1', 'yes'].includes(trustProxyText),
    vapidPublicKey,
    vapidPrivateKey,
    siteUrl: new URL(siteUrl).href,
  };
}
