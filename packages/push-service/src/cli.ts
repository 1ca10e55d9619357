import { readFileSync } from 'node:fs';
import { parseCliArgs } from '@herald/webpush/node';
import { PushServiceError } from './errors.js';
import type { PushService, PushServiceOptions } from './service.js';

/**
 * The help text of `herald-push-service` (also fits `herald push-service`).
 *
 * @example
 * ```ts
 * console.log(usage);
 * ```
 */
export const usage = `Usage: herald-push-service --port <n> [--host <addr>] [--data <dir>]
                           [--tls-cert <file> --tls-key <file>] [--control]
                           [--public-origin <url>]

  --port       TCP port for WebSocket (user agents) and HTTP (pushes); 0 picks one
  --host       interface to bind (default 127.0.0.1)
  --data       data directory: registrations and waiting messages kept in SQLite there
  --tls-cert   PEM certificate: serve https:// and wss:// (Firefox needs wss:// outside tests)
  --tls-key    PEM private key of --tls-cert
  --control    enable the control API under /_herald/ (fault injection; never on a public port)
  --public-origin  origin for endpoint URLs and VAPID aud when reached through another name`;

/**
 * Parses `herald-push-service`'s arguments into {@link PushServiceOptions} (or `'help'`); throws
 * `ERR_INVALID_OPTION` with the reason. Exported so that other CLIs (`herald push-service`)
 * accept exactly the same options.
 *
 * @example
 * ```ts
 * const options = parseCli(['--port', '8090', '--data', './push-data']);
 * ```
 */
export function parseCli(argv: string[]): PushServiceOptions | 'help' {
  let values: ReturnType<typeof parse>['values'];
  function parse() {
    return parseCliArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        control: { type: 'boolean' },
        'public-origin': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  }
  try {
    values = parse().values;
  } catch (error) {
    throw new PushServiceError('ERR_INVALID_OPTION', (error as Error).message, { cause: error });
  }
  if (values.help) return 'help';
  if (values.port === undefined || !/^\d+$/.test(values.port) || Number(values.port) > 65535) {
    throw new PushServiceError(
      'ERR_INVALID_OPTION',
      `--port must be a number from 0 to 65535, got ${values.port ?? 'none'}`,
    );
  }
  const options: PushServiceOptions = { port: Number(values.port), host: values.host ?? '127.0.0.1' };
  if (values.data) options.dataDir = values.data;
  if (values.control) options.control = true;
  if (values['public-origin']) options.publicOrigin = values['public-origin'];
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new PushServiceError('ERR_INVALID_OPTION', '--tls-cert and --tls-key go together');
  }
  if (values['tls-cert'] && values['tls-key']) {
    try {
      options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
    } catch (error) {
      throw new PushServiceError(
        'ERR_INVALID_OPTION',
        `cannot read the TLS files: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return options;
}

/**
 * What the CLI prints once the service listens: its URLs, storage, control API and the Firefox
 * prefs to use it.
 *
 * @example
 * ```ts
 * console.log(describeService(await PushService.start(options), options));
 * ```
 */
export function describeService(service: PushService, options: PushServiceOptions): string {
  const prefs = Object.entries(service.firefoxPrefs())
    .map(([name, value]) => `  user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`)
    .join('\n');
  return [
    `herald-push-service listening`,
    `  WebSocket (user agents): ${service.websocketUrl}`,
    `  HTTP (pushes):           ${service.origin}/wpush/v1/<token>`,
    `  storage:                 ${options.dataDir ? `SQLite in ${options.dataDir}` : 'in memory'}`,
    options.control ? `  control API:             ${service.controlUrl}` : '  control API:             off',
    `Firefox prefs (user.js or about:config):`,
    prefs,
  ].join('\n');
}
