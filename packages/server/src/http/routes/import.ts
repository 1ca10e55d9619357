import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { ServerError } from '../../errors.js';
import { prepareSubscription } from '../../push/prepare-subscription.js';
import type { SubscriptionInput } from '../../storage/storage.js';
import type { AppContext } from '../context.js';
import { type ImportEntry, importEntries } from '../import-entries.js';
import { errorResponses } from '../schemas.js';

/** Entries written per transaction: big enough to amortise the commit, small enough to stream. */
const batchSize = 500;
/** Rejections listed in full; past this only counted, so a garbage upload cannot bloat the answer. */
const maxListedRejections = 1000;

const topicPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Why an import entry's shape is wrong, or `undefined` when it is usable. */
function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'entry must be a JSON object';
  const entry = value as Record<string, unknown>;
  const subscription = (entry.subscription ?? entry) as Record<string, unknown>;
  if (typeof subscription.endpoint !== 'string') return 'endpoint must be a string';
  const keys = subscription.keys as Record<string, unknown> | undefined;
  if (typeof keys !== 'object' || keys === null) return 'keys must be an object with p256dh and auth';
  if (typeof keys.p256dh !== 'string' || typeof keys.auth !== 'string')
    return 'keys.p256dh and keys.auth must be strings';
  if (entry.topics !== undefined) {
    if (!Array.isArray(entry.topics) || entry.topics.length > 32)
      return 'topics must be an array of at most 32';
    if (!entry.topics.every((t) => typeof t === 'string' && topicPattern.test(t))) {
      return 'each topic must be 1-64 characters of A-Z a-z 0-9 _ . : -';
    }
  }
  if (
    entry.userId !== undefined &&
    entry.userId !== null &&
    (typeof entry.userId !== 'string' || entry.userId.length > 200)
  ) {
    return 'userId must be a string of at most 200 characters or null';
  }
  const key = entry.applicationServerKey ?? entry.vapidPublicKey;
  if (key !== undefined && typeof key !== 'string') return 'applicationServerKey must be a string';
  if (
    entry.contentEncoding !== undefined &&
    entry.contentEncoding !== 'aes128gcm' &&
    entry.contentEncoding !== 'aesgcm'
  ) {
    return 'contentEncoding must be aes128gcm or aesgcm';
  }
  return undefined;
}

/** Parses and checks one entry; reports why it is unusable and returns nothing, or the input to store. */
async function validEntry(
  entry: ImportEntry,
  context: AppContext,
  reject: (line: number, reason: string) => void,
): Promise<SubscriptionInput | undefined> {
  if (entry.problem) {
    reject(entry.line, entry.problem);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(entry.text);
  } catch {
    reject(entry.line, 'not valid JSON');
    return undefined;
  }
  const problem = shapeProblem(value);
  if (problem) {
    reject(entry.line, problem);
    return undefined;
  }
  const e = value as Record<string, unknown>;
  const s = (e.subscription ?? e) as { endpoint: string; keys: { p256dh: string; auth: string } };
  try {
    return await prepareSubscription(
      {
        endpoint: s.endpoint,
        p256dh: s.keys.p256dh,
        auth: s.keys.auth,
        applicationServerKey: (e.applicationServerKey ?? e.vapidPublicKey) as string | undefined,
        contentEncoding: e.contentEncoding as 'aes128gcm' | 'aesgcm' | undefined,
        topics: e.topics as string[] | undefined,
        userId: e.userId as string | null | undefined,
      },
      context.endpoints,
      context.keys,
    );
  } catch (error) {
    if (!(error instanceof ServerError)) throw error;
    reject(entry.line, error.message);
    return undefined;
  }
}

/** Writes the spooled inputs in transactions of `batchSize`, in the order they came. */
async function writeSpooled(
  spool: string,
  context: AppContext,
): Promise<{ created: number; updated: number }> {
  const total = { created: 0, updated: 0 };
  let batch: SubscriptionInput[] = [];
  const seen = new Map<string, number>();
  const write = async () => {
    if (batch.length === 0) return;
    const written = await context.storage.upsertSubscriptions(batch);
    total.created += written.created;
    total.updated += written.updated;
    batch = [];
    seen.clear();
  };
  for await (const line of createInterface({ input: createReadStream(spool), crlfDelay: Infinity })) {
    const input = JSON.parse(line) as SubscriptionInput;
    // The same endpoint twice in one batch: the later entry wins, as it would one by one.
    const earlier = seen.get(input.endpoint);
    if (earlier !== undefined) batch[earlier] = input;
    else {
      seen.set(input.endpoint, batch.length);
      batch.push(input);
    }
    if (batch.length >= batchSize) await write();
  }
  await write();
  return total;
}

/**
 * `POST /subscriptions/import`: a JSON array or NDJSON of subscriptions (each a
 * `PushSubscriptionJSON` or `{ subscription, topics?, userId?, applicationServerKey? }`), read as a
 * stream and written in batches, so 100,000 entries never sit in memory at once. Valid entries
 * are spooled to a temporary file until the body ends, so an import refused as a whole (more than
 * `HERALD_IMPORT_MAX_ENTRIES`, or a body cut off) writes nothing. Answers counts and the line and
 * reason of every rejected entry.
 *
 * @example
 * ```ts
 * await app.register((instance) => importRoutes(instance, context), { prefix: '/api/v1' });
 * ```
 */
export async function importRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  // The body stays a stream: this plugin's parsers hand it over unread (bodyLimit does not apply,
  // maxEntries does).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/x-ndjson', 'application/jsonl'],
    (_request, payload, done) => done(null, payload),
  );

  app.post(
    '/subscriptions/import',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Bulk import subscriptions (JSON array or NDJSON, streamed)',
        consumes: ['application/json', 'application/x-ndjson'],
        response: {
          200: {
            type: 'object',
            properties: {
              received: { type: 'integer' },
              created: { type: 'integer' },
              updated: { type: 'integer' },
              rejected: { type: 'integer' },
              errors: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { line: { type: 'integer' }, reason: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const body = request.body as AsyncIterable<Buffer>;
      const maxEntries = context.config.importMaxEntries;
      const result = {
        received: 0,
        created: 0,
        updated: 0,
        rejected: 0,
        errors: [] as { line: number; reason: string }[],
      };
      const reject = (line: number, reason: string) => {
        result.rejected++;
        if (result.errors.length < maxListedRejections) result.errors.push({ line, reason });
      };
      // Valid entries wait in a temporary file until the whole body has been read: an import that
      // turns out too long, or a body cut off half way, then writes nothing.
      const dir = await mkdtemp(join(tmpdir(), 'herald-import-'));
      const spool = join(dir, 'entries.ndjson');
      try {
        const out = createWriteStream(spool);
        try {
          for await (const entry of importEntries(body)) {
            result.received++;
            if (result.received > maxEntries) {
              throw new ServerError(
                'ERR_BODY_TOO_LARGE',
                `an import holds at most ${maxEntries} entries; nothing was imported`,
              );
            }
            const input = await validEntry(entry, context, reject);
            if (input && !out.write(`${JSON.stringify(input)}\n`)) await once(out, 'drain');
          }
        } finally {
          out.end();
          await finished(out);
        }
        const written = await writeSpooled(spool, context);
        result.created = written.created;
        result.updated = written.updated;
        return result;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}
