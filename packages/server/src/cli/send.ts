import { parseCliArgs } from '@herald/webpush/node';
import { ServerError } from '../errors.js';
import { progressLine } from './progress-bar.js';

const usage = `herald send --to topic:<t>|user:<id>|all --title <text> [--body <text>] [--url <url>]
            [--wait] [--server <url>] [--api-key <key>]`;

function target(to: string): Record<string, unknown> {
  if (to === 'all') return { all: true };
  const [kind, ...rest] = to.split(':');
  const value = rest.join(':');
  if (kind === 'topic' && value) return { topics: [value] };
  if (kind === 'user' && value) return { userIds: [value] };
  if (kind === 'subscription' && value) return { subscriptionIds: [value] };
  throw new ServerError(
    'ERR_INVALID_REQUEST',
    `--to must be topic:<t>, user:<id>, subscription:<id> or all, got "${to}"`,
  );
}

/**
 * `herald send`: sends a notification through a running server's API, and with `--wait` shows a
 * live progress bar of its counts until it finishes. Returns the exit code.
 *
 * @example
 * ```ts
 * await send(['--to', 'topic:news', '--title', 'Hello', '--wait'], process.env, console.log);
 * ```
 */
export async function send(
  args: string[],
  env: Record<string, string | undefined>,
  out: { write(text: string): void; isTTY?: boolean },
): Promise<number> {
  const { values } = parseCliArgs({
    args,
    strict: true,
    options: {
      to: { type: 'string' },
      title: { type: 'string' },
      body: { type: 'string' },
      url: { type: 'string' },
      wait: { type: 'boolean', default: false },
      server: { type: 'string' },
      'api-key': { type: 'string' },
      'poll-ms': { type: 'string', default: '250' },
    },
  });
  if (!values.to || !values.title)
    throw new ServerError('ERR_INVALID_REQUEST', `--to and --title are required\n${usage}`);
  const server = values.server ?? env.HERALD_URL ?? `http://localhost:${env.PORT ?? '3000'}`;
  const apiKey = values['api-key'] ?? env.HERALD_API_KEY;
  if (!apiKey) throw new ServerError('ERR_UNAUTHORIZED', 'pass --api-key or set HERALD_API_KEY');
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const notification = {
    title: values.title,
    ...(values.body ? { body: values.body } : {}),
    ...(values.url ? { url: values.url } : {}),
  };
  const created = await fetch(new URL('/api/v1/messages', server), {
    method: 'POST',
    headers,
    body: JSON.stringify({ to: target(values.to), notification }),
  });
  const answer = (await created.json()) as { id?: string; error?: { code: string; message: string } };
  if (!created.ok || !answer.id) {
    out.write(
      `herald send: ${answer.error?.code ?? created.status}: ${answer.error?.message ?? 'refused'}\n`,
    );
    return 1;
  }
  out.write(`message ${answer.id} accepted\n`);
  if (!values.wait) return 0;
  let last = '';
  for (;;) {
    const response = await fetch(new URL(`/api/v1/messages/${answer.id}`, server), { headers });
    const message = (await response.json()) as {
      status: string;
      counts: { targeted: number; sent: number; failed: number; gone: number; pending: number };
    };
    const line = progressLine(message.counts);
    if (line !== last) {
      out.write(out.isTTY ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (message.status === 'completed' || message.status === 'cancelled') {
      out.write(`${out.isTTY ? '\n' : ''}message ${answer.id} ${message.status}\n`);
      return message.counts.failed > 0 ? 1 : 0;
    }
    await new Promise((resolve) => setTimeout(resolve, Number(values['poll-ms'])));
  }
}
