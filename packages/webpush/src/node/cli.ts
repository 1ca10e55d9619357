#!/usr/bin/env node
import { ProxyAgent } from 'undici';
import { WebPushError } from '../errors.js';
import type { Urgency } from '../request.js';
import type { SendResult } from '../send/classify.js';
import { sendNotification } from '../send/send-notification.js';
import { generateVapidKeys } from '../vapid/keys.js';
/**
 * `herald-webpush`: a drop-in for web-push's command line tool, on `@herald/webpush`.
 *
 * ```
 * herald-webpush generate-vapid-keys [--json]
 * herald-webpush send-notification --endpoint=<url> [--key=<p256dh>] [--auth=<auth>] [--payload=<text>]
 *     [--ttl=<seconds>] [--encoding=aes128gcm|aesgcm] [--urgency=<urgency>] [--topic=<topic>]
 *     [--vapid-subject=<mailto: or https:>] [--vapid-pubkey=<base64url>] [--vapid-pvtkey=<base64url>]
 *     [--timeout=<ms>] [--proxy=<url>]
 * ```
 *
 * Exit status: 0 when the push service accepted the message; 1 with one line on stderr naming
 * the classified outcome and the status (`herald-webpush: gone (status 410): ...`); 2 for a
 * usage error or invalid input.
 *
 * @packageDocumentation
 */
import { parseCliArgs } from './cli-args.js';
import { createUndiciTransport } from './undici-transport.js';

const usage = `Usage:

  herald-webpush generate-vapid-keys [--json]

  herald-webpush send-notification --endpoint=<url> [--key=<browser key>] [--auth=<auth secret>]
      [--payload=<message>] [--ttl=<seconds>] [--encoding=<aes128gcm|aesgcm>]
      [--urgency=<very-low|low|normal|high>] [--topic=<topic>] [--timeout=<ms>]
      [--vapid-subject=<vapid subject>] [--vapid-pubkey=<public key url base64>]
      [--vapid-pvtkey=<private key url base64>] [--proxy=<http proxy uri>]

Exit status: 0 when the push service accepted the message, 1 when it did not (one line names the
outcome and the status), 2 for a usage error or invalid input.
`;

/** Where the lines go. */
interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

class UsageError extends Error {}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function describeResult(result: SendResult): string {
  const status = result.status === undefined ? 'no status' : `status ${result.status}`;
  let detail: string | undefined;
  if (result.kind === 'delivered') detail = result.location;
  else if ('error' in result) detail = result.error.message;
  else detail = result.reason;
  return `${result.kind} (${status})${detail ? `: ${detail}` : ''}`;
}

async function generateKeys(json: boolean, io: Io): Promise<number> {
  const keys = await generateVapidKeys();
  if (json) {
    io.out(JSON.stringify({ publicKey: keys.publicKey, privateKey: keys.privateKey }));
  } else {
    // The same layout as web-push's, for scripts that scrape it.
    const rule = '\n=======================================\n';
    io.out(`${rule}\nPublic Key:\n${keys.publicKey}\n\nPrivate Key:\n${keys.privateKey}\n${rule}`);
  }
  return 0;
}

async function send(values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const text = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const endpoint = text('endpoint');
  if (endpoint === undefined || endpoint === '')
    throw new UsageError('send-notification needs --endpoint=<url>');
  if (text('gcm-api-key') !== undefined) {
    throw new UsageError('--gcm-api-key is not supported: FCM shut its legacy API down in 2024; use VAPID');
  }
  const key = text('key');
  const auth = text('auth');
  const payload = text('payload');
  const vapidFlags = ['vapid-subject', 'vapid-pubkey', 'vapid-pvtkey'].filter(
    (name) => text(name) !== undefined,
  );
  if (vapidFlags.length > 0 && vapidFlags.length < 3) {
    throw new UsageError('--vapid-subject, --vapid-pubkey and --vapid-pvtkey go together');
  }
  const encoding = text('encoding');
  if (encoding !== undefined && encoding !== 'aes128gcm' && encoding !== 'aesgcm') {
    throw new UsageError(`--encoding must be aes128gcm or aesgcm, got ${JSON.stringify(encoding)}`);
  }
  const timeout = integer('timeout', text('timeout'));
  const ttl = integer('ttl', text('ttl'));
  const proxy = text('proxy');
  const transport = createUndiciTransport(
    proxy === undefined ? undefined : { dispatcher: new ProxyAgent(proxy) },
  );
  try {
    const subscription =
      key === undefined && auth === undefined
        ? { endpoint }
        : { endpoint, keys: { p256dh: key ?? '', auth: auth ?? '' } };
    const result = await sendNotification(subscription, payload ?? null, {
      transport,
      allowHttp: true,
      ...(ttl === undefined ? {} : { ttl }),
      ...(timeout === undefined ? {} : { timeout }),
      ...(encoding === undefined ? {} : { contentEncoding: encoding }),
      ...(text('urgency') === undefined ? {} : { urgency: text('urgency') as Urgency }),
      ...(text('topic') === undefined ? {} : { topic: text('topic')! }),
      ...(vapidFlags.length === 3
        ? {
            vapid: {
              subject: text('vapid-subject')!,
              publicKey: text('vapid-pubkey')!,
              privateKey: text('vapid-pvtkey')!,
            },
          }
        : {}),
    });
    if (result.kind === 'delivered') {
      io.out(`Push message sent: ${describeResult(result)}`);
      return 0;
    }
    io.err(`herald-webpush: ${describeResult(result)}`);
    return 1;
  } finally {
    await transport.close();
  }
}

/** Runs the command line `args` (without `node` and the script); resolves with the exit code. */
async function run(args: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = args;
  try {
    const { values } = parseCliArgs({
      args: rest,
      strict: true,
      options: {
        json: { type: 'boolean' },
        endpoint: { type: 'string' },
        key: { type: 'string' },
        auth: { type: 'string' },
        payload: { type: 'string' },
        ttl: { type: 'string' },
        encoding: { type: 'string' },
        urgency: { type: 'string' },
        topic: { type: 'string' },
        timeout: { type: 'string' },
        proxy: { type: 'string' },
        'vapid-subject': { type: 'string' },
        'vapid-pubkey': { type: 'string' },
        'vapid-pvtkey': { type: 'string' },
        'gcm-api-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      io.out(usage);
      return 0;
    }
    if (command === 'generate-vapid-keys') return await generateKeys(values.json === true, io);
    if (command === 'send-notification') return await send(values, io);
    throw new UsageError(
      command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`,
    );
  } catch (error) {
    if (error instanceof WebPushError) {
      io.err(`herald-webpush: ${error.code}: ${error.message}`);
      return 2;
    }
    // parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`herald-webpush: ${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
}

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
process.exitCode = await run(process.argv.slice(2), io);
