import pg from 'pg';
import { ServerError } from '../errors.js';
import { newId } from '../ids.js';
import { checkNotAhead, loadMigrations } from './migrations.js';
import {
  pushTargetColumns,
  receiptColumn,
  tallyOutcomes,
  toApiKey,
  toDelivery,
  toFanoutChunk,
  toMessage,
  toPushTarget,
  toSubscription,
  toVapidKey,
} from './rows.js';
import type {
  ApiKeyRecord,
  ClaimedChunk,
  ClaimedDelivery,
  DeliveryOutcome,
  DeliveryRecord,
  FanoutChunk,
  MessageInput,
  MessageRecord,
  MessageTarget,
  ReceiptInput,
  Storage,
  SubscriptionInput,
  SubscriptionQuery,
  SubscriptionRecord,
  SubscriptionStats,
  VapidKeyRecord,
} from './storage.js';
import { subscriberHistory } from './subscriber-history.js';

type Row = Record<string, unknown>;
type Queryable = pg.Pool | pg.PoolClient;

// BIGINT (oid 20) columns hold millisecond times and counters, all below 2^53: parse them as
// numbers for this pool only, without touching the driver's process-wide defaults.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Options of {@link PostgresStorage.open}. */
export interface PostgresOptions {
  /** `postgres://user@host:port/db` */
  connectionString: string;
  /** Schema holding Herald's tables, created if missing (default `public`). Tests use one per run. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

const expiredError = 'the TTL ran out before the message could be sent';

/** SQL selecting the ids of a target's subscriptions after a cursor; parameters start at `$first`. */
function targetIds(
  target: MessageTarget,
  cursor: string | null,
  limit: number | null,
  first = 1,
): [string, unknown[]] {
  const after = cursor ?? '';
  const tail = limit === null ? '' : ` ORDER BY 1 LIMIT $${first + 2}`;
  const tailParams = limit === null ? [] : [limit];
  const a = `$${first}`;
  const b = `$${first + 1}`;
  if ('all' in target) {
    return [
      `SELECT id FROM subscriptions WHERE id > ${a} AND ${b}::int IS NULL${tail}`,
      [after, null, ...tailParams],
    ];
  }
  if ('topics' in target) {
    return [
      `SELECT DISTINCT subscription_id FROM subscription_topics WHERE subscription_id > ${a} AND topic = ANY(${b}::text[])${tail}`,
      [after, target.topics, ...tailParams],
    ];
  }
  if ('userIds' in target) {
    return [
      `SELECT id FROM subscriptions WHERE id > ${a} AND user_id = ANY(${b}::text[])${tail}`,
      [after, target.userIds, ...tailParams],
    ];
  }
  return [
    `SELECT id FROM subscriptions WHERE id > ${a} AND id = ANY(${b}::text[])${tail}`,
    [after, target.subscriptionIds, ...tailParams],
  ];
}

/**
 * {@link Storage} on PostgreSQL through `pg`. Any number of Herald processes may share one
 * database: migrations run under an advisory lock, and work is claimed with
 * `FOR UPDATE SKIP LOCKED` so two workers never take the same message or retry.
 *
 * @example
 * ```ts
 * const storage = await PostgresStorage.open({ connectionString: 'postgres://postgres@127.0.0.1/herald' });
 * ```
 */
export class PostgresStorage implements Storage {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects, creates the schema if needed and applies pending migrations. */
  static async open(options: PostgresOptions): Promise<PostgresStorage> {
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new ServerError(
        'ERR_INVALID_CONFIG',
        `a schema name must match [a-z_][a-z0-9_]*, got "${schema}"`,
      );
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      options: `-c search_path=${schema}`,
      types,
    });
    // An idle client that loses its connection emits 'error' on the pool; without a listener
    // that would crash the process. The next query gets a fresh connection.
    pool.on('error', () => {});
    const storage = new PostgresStorage(pool);
    try {
      await storage.#migrate(schema);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return storage;
  }

  async #migrate(schema: string): Promise<void> {
    const migrations = loadMigrations('postgres');
    const client = await this.#pool.connect();
    try {
      // One session-level advisory lock per schema: processes starting together queue here, and
      // each finds the migrations the previous one applied.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`herald_migrations:${schema}`]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS herald_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
        const { rows } = await client.query('SELECT coalesce(max(version), 0) AS v FROM herald_migrations');
        const applied = Number(rows[0].v);
        checkNotAhead(applied, migrations);
        for (const migration of migrations.slice(applied)) {
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query(
              'INSERT INTO herald_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
              [migration.version, migration.name, Date.now()],
            );
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`herald_migrations:${schema}`]);
      }
    } finally {
      client.release();
    }
  }

  async #rows(sql: string, params: unknown[] = [], on: Queryable = this.#pool): Promise<Row[]> {
    return (await on.query(sql, params)).rows as Row[];
  }

  async #row(sql: string, params: unknown[] = [], on: Queryable = this.#pool): Promise<Row | undefined> {
    return (await this.#rows(sql, params, on))[0];
  }

  async #tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.#row('SELECT value FROM settings WHERE key = $1', [key]);
    return row ? String(row.value) : undefined;
  }

  async setSettingIfAbsent(key: string, value: string): Promise<string> {
    // ON CONFLICT settles concurrent first writers; the loser reads the winner's value.
    await this.#rows('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
      key,
      value,
    ]);
    return String((await this.#row('SELECT value FROM settings WHERE key = $1', [key]))!.value);
  }

  async listVapidKeys(): Promise<VapidKeyRecord[]> {
    return (await this.#rows('SELECT * FROM vapid_keys ORDER BY created_at, id')).map(toVapidKey);
  }

  async getVapidKey(id: string): Promise<VapidKeyRecord | undefined> {
    const row = await this.#row('SELECT * FROM vapid_keys WHERE id = $1', [id]);
    return row ? toVapidKey(row) : undefined;
  }

  async getVapidKeyByPublicKey(publicKey: string): Promise<VapidKeyRecord | undefined> {
    const row = await this.#row('SELECT * FROM vapid_keys WHERE public_key = $1', [publicKey]);
    return row ? toVapidKey(row) : undefined;
  }

  async getActiveVapidKey(): Promise<VapidKeyRecord | undefined> {
    const row = await this.#row('SELECT * FROM vapid_keys WHERE active');
    return row ? toVapidKey(row) : undefined;
  }

  async ensureActiveVapidKey(key: { publicKey: string; privateKey: string }): Promise<VapidKeyRecord> {
    // The partial unique index vapid_keys_one_active lets exactly one concurrent insert of an
    // active key win; the others do nothing and read the winner.
    await this.#rows(
      `INSERT INTO vapid_keys (id, public_key, private_key, active, created_at) VALUES ($1, $2, $3, TRUE, $4)
       ON CONFLICT DO NOTHING`,
      [newId('vk'), key.publicKey, key.privateKey, Date.now()],
    );
    const active = await this.getActiveVapidKey();
    if (!active) throw new ServerError('ERR_STORAGE', 'no active VAPID key after inserting one');
    return active;
  }

  async addVapidKey(
    key: { publicKey: string; privateKey: string },
    activate: boolean,
  ): Promise<VapidKeyRecord> {
    return this.#tx(async (client) => {
      // Serialise rotations so two at once cannot both clear and set the active flag.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('herald_vapid_keys'))");
      const existing = await this.#row(
        'SELECT * FROM vapid_keys WHERE public_key = $1',
        [key.publicKey],
        client,
      );
      if (existing && String(existing.private_key) !== key.privateKey) {
        throw new ServerError(
          'ERR_CONFLICT',
          'this VAPID public key is held already with a different private key',
        );
      }
      const id = existing ? String(existing.id) : newId('vk');
      if (!existing) {
        await client.query(
          'INSERT INTO vapid_keys (id, public_key, private_key, active, created_at) VALUES ($1, $2, $3, FALSE, $4)',
          [id, key.publicKey, key.privateKey, Date.now()],
        );
      }
      if (activate) {
        await client.query('UPDATE vapid_keys SET active = FALSE WHERE active AND id <> $1', [id]);
        await client.query('UPDATE vapid_keys SET active = TRUE WHERE id = $1', [id]);
      }
      return toVapidKey((await this.#row('SELECT * FROM vapid_keys WHERE id = $1', [id], client))!);
    });
  }

  async createApiKey(key: { id: string; name: string; hash: string }): Promise<ApiKeyRecord> {
    const row = await this.#row(
      'INSERT INTO api_keys (id, name, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
      [key.id, key.name, key.hash, Date.now()],
    );
    return toApiKey(row!);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.#rows('SELECT * FROM api_keys ORDER BY created_at, id')).map(toApiKey);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.#row('SELECT * FROM api_keys WHERE id = $1', [id]);
    return row ? toApiKey(row) : undefined;
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const rows = await this.#rows(
      'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id',
      [Date.now(), id],
    );
    return rows.length > 0;
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await this.#rows('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async #subscriptions(rows: Row[], on: Queryable = this.#pool): Promise<SubscriptionRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => String(row.id));
    const topics = new Map<string, string[]>(ids.map((id) => [id, []]));
    const topicRows = await this.#rows(
      'SELECT subscription_id, topic FROM subscription_topics WHERE subscription_id = ANY($1::text[])',
      [ids],
      on,
    );
    for (const row of topicRows) topics.get(String(row.subscription_id))?.push(String(row.topic));
    return rows.map((row) => toSubscription(row, topics.get(String(row.id)) ?? []));
  }

  /**
   * One statement upserts the row and reconciles its topics, so a registration costs one round
   * trip. The topic CTEs touch disjoint rows (delete those not wanted, insert the missing), which
   * is what makes them safe in one statement (they share a snapshot).
   */
  #upsertSql = `
    WITH s AS (
      INSERT INTO subscriptions (id, endpoint, p256dh, auth, content_encoding, vapid_key_id, push_service_origin,
        user_id, revision, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)
      ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
        content_encoding = excluded.content_encoding, vapid_key_id = excluded.vapid_key_id,
        push_service_origin = excluded.push_service_origin,
        user_id = CASE WHEN $10::boolean THEN excluded.user_id ELSE subscriptions.user_id END,
        config_error = NULL, revision = subscriptions.revision + 1, updated_at = excluded.updated_at
      RETURNING id, revision
    ), d AS (
      DELETE FROM subscription_topics t USING s
      WHERE $11::text[] IS NOT NULL AND t.subscription_id = s.id AND NOT (t.topic = ANY($11::text[]))
    ), i AS (
      INSERT INTO subscription_topics (topic, subscription_id)
      SELECT DISTINCT topic, s.id FROM s, unnest($11::text[]) AS topic
      ON CONFLICT DO NOTHING
    )
    SELECT id, revision FROM s`;

  #upsertParams(input: SubscriptionInput, now: number): unknown[] {
    return [
      newId('sub', now),
      input.endpoint,
      input.p256dh,
      input.auth,
      input.contentEncoding,
      input.vapidKeyId,
      input.pushServiceOrigin,
      input.userId ?? null,
      now,
      input.userId !== undefined,
      input.topics ?? null,
    ];
  }

  /**
   * Group commit, as on SQLite: registrations that arrive while writes are in flight are written
   * together, as one multi-row statement (`#upsertMany`), so a burst of subscribes costs one
   * round trip and one commit per batch instead of per registration. Up to four batches are in
   * flight at once (the pool has room), each taking what has queued. A lone registration takes
   * the one-row statement. If a batch fails, each of its registrations is retried alone, so one
   * bad row never fails its neighbours.
   */
  async upsertSubscription(input: SubscriptionInput): Promise<{ id: string; created: boolean }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (this.#flushing < 4) {
        this.#flushing++;
        setImmediate(() => void this.#flush());
      }
    });
  }

  #pending: {
    input: SubscriptionInput;
    resolve: (value: { id: string; created: boolean }) => void;
    reject: (error: unknown) => void;
  }[] = [];
  #flushing = 0;

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, 500);
      try {
        const results =
          batch.length === 1
            ? [await this.#upsertOne(batch[0]!.input, this.#pool)]
            : await this.#upsertMany(
                this.#pool,
                batch.map((p) => p.input),
                Date.now(),
              );
        for (const [i, { resolve }] of batch.entries()) resolve(results[i]!);
      } catch {
        await Promise.all(
          batch.map(({ input, resolve, reject }) => this.#upsertOne(input, this.#pool).then(resolve, reject)),
        );
      }
    }
    this.#flushing--;
  }

  async #upsertOne(input: SubscriptionInput, on: Queryable): Promise<{ id: string; created: boolean }> {
    const row = (await this.#row(this.#upsertSql, this.#upsertParams(input, Date.now()), on))!;
    return { id: String(row.id), created: Number(row.revision) === 1 };
  }

  /**
   * Upserts many subscriptions, their topics reconciled in the same statement (as in
   * `#upsertSql`: the topic CTEs touch disjoint rows), so each statement is atomic on its own.
   * One statement per kind (user link replaced or kept). Rows are written in endpoint order, so
   * concurrent batches lock in the same order and cannot deadlock. An endpoint given twice is
   * written in a second round, so the later entry wins, as it would one by one. Results follow
   * `inputs`. Run it in a transaction (`on` a client) to make the whole batch atomic.
   */
  async #upsertMany(
    on: Queryable,
    inputs: SubscriptionInput[],
    now: number,
  ): Promise<{ id: string; created: boolean }[]> {
    const results: { id: string; created: boolean }[] = new Array(inputs.length);
    let rest = inputs.map((input, index) => ({ input, index }));
    while (rest.length > 0) {
      const seen = new Set<string>();
      const round: typeof rest = [];
      const later: typeof rest = [];
      for (const entry of rest) {
        if (seen.has(entry.input.endpoint)) later.push(entry);
        else {
          seen.add(entry.input.endpoint);
          round.push(entry);
        }
      }
      round.sort((a, b) =>
        a.input.endpoint < b.input.endpoint ? -1 : a.input.endpoint > b.input.endpoint ? 1 : 0,
      );
      for (const setUser of [true, false]) {
        const part = round.filter((e) => (e.input.userId !== undefined) === setUser);
        if (part.length === 0) continue;
        const inputsOf = part.map((e) => e.input);
        const rows = await this.#rows(
          `WITH u AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
               $8::text[], $9::jsonb[])
               AS u(id, endpoint, p256dh, auth, content_encoding, vapid_key_id, origin, user_id, topics)
           ), s AS (
             INSERT INTO subscriptions (id, endpoint, p256dh, auth, content_encoding, vapid_key_id, push_service_origin,
               user_id, revision, created_at, updated_at)
             SELECT u.id, u.endpoint, u.p256dh, u.auth, u.content_encoding, u.vapid_key_id, u.origin, u.user_id, 1, $10, $10
             FROM u ORDER BY u.endpoint
             ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
               content_encoding = excluded.content_encoding, vapid_key_id = excluded.vapid_key_id,
               push_service_origin = excluded.push_service_origin,
               ${setUser ? 'user_id = excluded.user_id,' : ''}
               config_error = NULL, revision = subscriptions.revision + 1, updated_at = excluded.updated_at
             RETURNING id, endpoint, revision
           ), t AS (
             SELECT s.id, u.topics FROM s JOIN u ON u.endpoint = s.endpoint WHERE u.topics IS NOT NULL
           ), d AS (
             DELETE FROM subscription_topics st USING t
             WHERE st.subscription_id = t.id
               AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.topics) AS k(topic) WHERE k.topic = st.topic)
           ), i AS (
             INSERT INTO subscription_topics (topic, subscription_id)
             SELECT DISTINCT k.topic, t.id FROM t, jsonb_array_elements_text(t.topics) AS k(topic)
             ON CONFLICT DO NOTHING
           )
           SELECT id, endpoint, revision FROM s`,
          [
            inputsOf.map(() => newId('sub', now)),
            inputsOf.map((i) => i.endpoint),
            inputsOf.map((i) => i.p256dh),
            inputsOf.map((i) => i.auth),
            inputsOf.map((i) => i.contentEncoding),
            inputsOf.map((i) => i.vapidKeyId),
            inputsOf.map((i) => i.pushServiceOrigin),
            inputsOf.map((i) => i.userId ?? null),
            inputsOf.map((i) => (i.topics === undefined ? null : JSON.stringify(i.topics))),
            now,
          ],
          on,
        );
        const byEndpoint = new Map(
          rows.map((row) => [
            String(row.endpoint),
            { id: String(row.id), created: Number(row.revision) === 1 },
          ]),
        );
        for (const entry of part) results[entry.index] = byEndpoint.get(entry.input.endpoint)!;
      }
      rest = later;
    }
    return results;
  }

  async upsertSubscriptions(inputs: SubscriptionInput[]): Promise<{ created: number; updated: number }> {
    if (inputs.length === 0) return { created: 0, updated: 0 };
    const results = await this.#tx((client) => this.#upsertMany(client, inputs, Date.now()));
    const created = results.filter((r) => r.created).length;
    return { created, updated: inputs.length - created };
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    const row = await this.#row('SELECT * FROM subscriptions WHERE id = $1', [id]);
    return row ? (await this.#subscriptions([row]))[0] : undefined;
  }

  async getSubscriptionByEndpoint(endpoint: string): Promise<SubscriptionRecord | undefined> {
    const row = await this.#row('SELECT * FROM subscriptions WHERE endpoint = $1', [endpoint]);
    return row ? (await this.#subscriptions([row]))[0] : undefined;
  }

  async listSubscriptions(query: SubscriptionQuery): Promise<SubscriptionRecord[]> {
    const rows = await this.#rows(
      `SELECT * FROM subscriptions s
       WHERE s.id > $1 AND ($2::text IS NULL OR s.user_id = $2)
         AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM subscription_topics t WHERE t.subscription_id = s.id AND t.topic = $3))
       ORDER BY s.id LIMIT $4`,
      [query.after ?? '', query.userId ?? null, query.topic ?? null, query.limit],
    );
    return this.#subscriptions(rows);
  }

  async countSubscriptions(): Promise<number> {
    return Number((await this.#row('SELECT count(*) AS n FROM subscriptions'))!.n);
  }

  async subscriptionStats(): Promise<SubscriptionStats> {
    const byPushService = (
      await this.#rows(
        'SELECT push_service_origin AS p, count(*) AS n FROM subscriptions GROUP BY push_service_origin ORDER BY n DESC, p',
      )
    ).map((r) => ({ pushService: String(r.p), count: Number(r.n) }));
    const held = (
      await this.#rows(
        `SELECT to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d, count(*) AS n
         FROM subscriptions GROUP BY d`,
      )
    ).map((r) => ({ day: String(r.d), count: Number(r.n) }));
    const removals = (
      await this.#rows('SELECT created_day, removed_day, count FROM subscription_removals')
    ).map((r) => ({
      createdDay: String(r.created_day),
      removedDay: String(r.removed_day),
      count: Number(r.count),
    }));
    const byDay = subscriberHistory(held, removals);
    return { total: byPushService.reduce((sum, p) => sum + p.count, 0), byPushService, byDay };
  }

  async recordReceipts(receipts: ReceiptInput[], now: number): Promise<number> {
    return this.#tx(async (client) => {
      let added = 0;
      for (const r of receipts) {
        // The message must exist (a receipt for a deleted message is dropped, not an error).
        const inserted = await client.query(
          `INSERT INTO receipts (message_id, subscription_id, event, created_at)
           SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM messages WHERE id = $1)
           ON CONFLICT DO NOTHING`,
          [r.messageId, r.subscriptionId, r.event, now],
        );
        if (inserted.rowCount === 0) continue;
        // The column name comes from the closed set of events, never from input text.
        const column = receiptColumn[r.event];
        await client.query(`UPDATE messages SET ${column} = ${column} + 1 WHERE id = $1`, [r.messageId]);
        added++;
      }
      return added;
    });
  }

  async setSubscriptionTopics(id: string, topics: string[]): Promise<SubscriptionRecord | undefined> {
    return this.#tx(async (client) => {
      const row = await this.#row(
        'UPDATE subscriptions SET revision = revision + 1, updated_at = $1 WHERE id = $2 RETURNING *',
        [Date.now(), id],
        client,
      );
      if (!row) return undefined;
      await client.query(
        'DELETE FROM subscription_topics WHERE subscription_id = $1 AND NOT (topic = ANY($2::text[]))',
        [id, topics],
      );
      await client.query(
        'INSERT INTO subscription_topics (topic, subscription_id) SELECT DISTINCT unnest($2::text[]), $1 ON CONFLICT DO NOTHING',
        [id, topics],
      );
      return (await this.#subscriptions([row], client))[0];
    });
  }

  async setSubscriptionUser(id: string, userId: string | null): Promise<SubscriptionRecord | undefined> {
    const row = await this.#row(
      'UPDATE subscriptions SET user_id = $1, revision = revision + 1, updated_at = $2 WHERE id = $3 RETURNING *',
      [userId, Date.now(), id],
    );
    return row ? (await this.#subscriptions([row]))[0] : undefined;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return (await this.#rows('DELETE FROM subscriptions WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async createMessage(input: MessageInput): Promise<{ message: MessageRecord; created: boolean }> {
    const now = Date.now();
    const row = await this.#row(
      `INSERT INTO messages (id, status, target, payload, notification, ttl, urgency, topic, send_at,
         idempotency_key, created_at, updated_at)
       VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [
        newId('msg', now),
        JSON.stringify(input.target),
        input.payload,
        JSON.stringify(input.notification),
        input.ttl,
        input.urgency,
        input.topic,
        input.sendAt,
        input.idempotencyKey,
        now,
      ],
    );
    if (row) return { message: toMessage(row), created: true };
    const existing = await this.#row('SELECT * FROM messages WHERE idempotency_key = $1', [
      input.idempotencyKey,
    ]);
    return { message: toMessage(existing!), created: false };
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    const row = await this.#row('SELECT * FROM messages WHERE id = $1', [id]);
    return row ? toMessage(row) : undefined;
  }

  async listMessages(query: { before?: string; limit: number }): Promise<MessageRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM messages WHERE ($1::text IS NULL OR id < $1) ORDER BY id DESC LIMIT $2',
      [query.before ?? null, query.limit],
    );
    return rows.map(toMessage);
  }

  async cancelMessage(
    id: string,
    from: readonly ('queued' | 'sending')[] = ['queued', 'sending'],
  ): Promise<MessageRecord | undefined> {
    const now = Date.now();
    await this.#rows(
      `UPDATE messages SET status = 'cancelled', updated_at = $1, completed_at = $1
       WHERE id = $2 AND status = ANY($3::text[])`,
      [now, id, from],
    );
    return this.getMessage(id);
  }

  async #applyOutcomes(
    client: pg.PoolClient,
    messageId: string,
    outcomes: DeliveryOutcome[],
    now: number,
  ): Promise<void> {
    const resolved = outcomes
      .filter((o) => o.result === 'sent' || o.result === 'gone')
      .map((o) => o.subscriptionId);
    if (resolved.length > 0) {
      await client.query(
        "DELETE FROM deliveries WHERE message_id = $1 AND status = 'retry' AND subscription_id = ANY($2::text[])",
        [messageId, resolved],
      );
    }
    const gone = outcomes.filter((o) => o.result === 'gone');
    if (gone.length > 0) {
      await client.query(
        `DELETE FROM subscriptions s USING unnest($1::text[], $2::int[]) AS g(id, revision)
         WHERE s.id = g.id AND s.revision = g.revision`,
        [gone.map((o) => o.subscriptionId), gone.map((o) => o.revision)],
      );
    }
    const rows = outcomes.filter((o) => o.result === 'retry' || o.result === 'failed');
    if (rows.length > 0) {
      await client.query(
        `INSERT INTO deliveries (message_id, subscription_id, status, attempts, next_attempt_at, last_status,
           last_error, created_at, updated_at)
         SELECT $1, u.subscription_id, u.status, u.attempts, u.next_attempt_at, u.last_status, u.last_error, $7, $7
         FROM unnest($2::text[], $3::text[], $4::int[], $5::bigint[], $6::int[], $8::text[])
           AS u(subscription_id, status, attempts, next_attempt_at, last_status, last_error)
         ON CONFLICT (message_id, subscription_id) DO UPDATE SET status = excluded.status,
           attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, lease_owner = NULL,
           lease_expires_at = NULL, last_status = excluded.last_status, last_error = excluded.last_error,
           updated_at = excluded.updated_at`,
        [
          messageId,
          rows.map((o) => o.subscriptionId),
          rows.map((o) => o.result),
          rows.map((o) => (o.result === 'retry' || o.result === 'failed' ? o.attempts : 0)),
          rows.map((o) => (o.result === 'retry' ? o.nextAttemptAt : null)),
          rows.map((o) => (o.result === 'retry' || o.result === 'failed' ? o.status : null)),
          now,
          rows.map((o) => (o.result === 'retry' || o.result === 'failed' ? o.error : null)),
        ],
      );
    }
    const configErrors = outcomes.filter((o) => o.result === 'failed' && o.configError);
    if (configErrors.length > 0) {
      await client.query(
        `UPDATE subscriptions s SET config_error = u.error
         FROM unnest($1::text[], $2::text[]) AS u(id, error) WHERE s.id = u.id`,
        [
          configErrors.map((o) => o.subscriptionId),
          configErrors.map((o) => (o.result === 'failed' ? o.error : '')),
        ],
      );
    }
    const configError = configErrors[0];
    const tally = tallyOutcomes(outcomes);
    await client.query(
      `UPDATE messages SET sent = sent + $1, failed = failed + $2, gone = gone + $3, updated_at = $4,
         last_error = coalesce($6, last_error)
       WHERE id = $5`,
      [
        tally.sent,
        tally.failed,
        tally.gone,
        now,
        messageId,
        configError?.result === 'failed' ? configError.error : null,
      ],
    );
  }

  async #completeIfFinished(client: pg.PoolClient, messageId: string, now: number): Promise<void> {
    await client.query(
      `UPDATE messages SET status = 'completed', completed_at = $1,
         targeted = greatest(targeted, sent + failed + gone)
       WHERE id = $2 AND status = 'sending' AND fanout_done
         AND NOT EXISTS (SELECT 1 FROM deliveries WHERE message_id = $2 AND status = 'retry')
         AND NOT EXISTS (SELECT 1 FROM fanout_chunks WHERE message_id = $2)`,
      [now, messageId],
    );
  }

  async #chunkTargets(
    client: pg.PoolClient,
    message: MessageRecord,
    chunk: FanoutChunk,
  ): Promise<ClaimedChunk> {
    const [sql, params] = targetIds(message.target, chunk.after, chunk.size);
    const rows = await this.#rows(
      `SELECT ${pushTargetColumns} FROM subscriptions WHERE id IN (${sql}) AND id <= $${params.length + 1}
       ORDER BY id`,
      [...params, chunk.upto],
      client,
    );
    return { message, chunk, targets: rows.map(toPushTarget) };
  }

  async claimChunk(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<ClaimedChunk | undefined> {
    return this.#tx(async (client) => {
      const lapsed = await this.#row(
        `UPDATE fanout_chunks SET lease_owner = $1, lease_expires_at = $2
         WHERE (message_id, upto_id) = (
           SELECT c.message_id, c.upto_id FROM fanout_chunks c JOIN messages m ON m.id = c.message_id
           WHERE c.lease_expires_at < $3 AND m.status = 'sending'
           ORDER BY c.lease_expires_at, c.message_id, c.upto_id LIMIT 1 FOR UPDATE OF c SKIP LOCKED)
         RETURNING *`,
        [owner, now + leaseMs, now],
        client,
      );
      if (lapsed) {
        const chunk = toFanoutChunk(lapsed);
        const message = toMessage(
          (await this.#row('SELECT * FROM messages WHERE id = $1', [chunk.messageId], client))!,
        );
        return this.#chunkTargets(client, message, chunk);
      }
      for (;;) {
        // The message row is locked (waiting, not skipping) for the few statements that carve
        // the next range out of it: two workers on one broadcast then take turns here and both
        // get chunks, instead of the second finding nothing and going idle.
        const row = await this.#row(
          `SELECT * FROM messages WHERE status IN ('queued', 'sending') AND NOT fanout_done AND send_at <= $1
           ORDER BY send_at, id LIMIT 1 FOR UPDATE`,
          [now],
          client,
        );
        if (!row) return undefined;
        let message = toMessage(row);
        if (message.ttl > 0 && now >= message.sendAt + message.ttl * 1000) {
          await this.#expire(client, message, now);
          continue;
        }
        if (message.status === 'queued') {
          const [sql, params] = targetIds(message.target, null, null);
          const targeted = Number(
            (await this.#row(`SELECT count(*) AS n FROM (${sql}) t`, params, client))!.n,
          );
          await client.query(
            "UPDATE messages SET status = 'sending', targeted = $1, updated_at = $2 WHERE id = $3",
            [targeted, now, message.id],
          );
          message = { ...message, status: 'sending', counts: { ...message.counts, targeted } };
        }
        const [sql, params] = targetIds(message.target, message.cursor, limit);
        const targets = (
          await this.#rows(
            `SELECT ${pushTargetColumns} FROM subscriptions WHERE id IN (${sql}) ORDER BY id`,
            params,
            client,
          )
        ).map(toPushTarget);
        const done = targets.length < limit;
        const upto = targets.at(-1)?.id ?? message.cursor;
        await client.query(
          'UPDATE messages SET fanout_cursor = $1, fanout_done = $2, updated_at = $3 WHERE id = $4',
          [upto, done, now, message.id],
        );
        if (targets.length === 0) {
          await this.#completeIfFinished(client, message.id, now);
          continue;
        }
        const chunk: FanoutChunk = {
          messageId: message.id,
          after: message.cursor,
          upto: upto!,
          size: targets.length,
        };
        await client.query(
          `INSERT INTO fanout_chunks (message_id, after_id, upto_id, size, lease_owner, lease_expires_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [chunk.messageId, chunk.after, chunk.upto, chunk.size, owner, now + leaseMs, now],
        );
        return { message: { ...message, cursor: upto, fanoutDone: done }, chunk, targets };
      }
    });
  }

  /**
   * RFC 8030 §5.2: past its TTL a message must not be delivered. When that is already so at the
   * claim (the server was down, or the queue long), the subscribers not yet reached are failed
   * in bulk: counted, without walking them or writing a row each.
   */
  async #expire(client: pg.PoolClient, message: MessageRecord, now: number): Promise<void> {
    const [sql, params] = targetIds(message.target, message.cursor, null);
    const remaining = Number((await this.#row(`SELECT count(*) AS n FROM (${sql}) t`, params, client))!.n);
    await client.query(
      `UPDATE messages SET status = 'sending', fanout_done = TRUE, failed = failed + $1, last_error = $2,
         targeted = CASE WHEN status = 'queued' THEN $1 ELSE targeted END, updated_at = $3 WHERE id = $4`,
      [remaining, expiredError, now, message.id],
    );
    await this.#completeIfFinished(client, message.id, now);
  }

  async recordChunk(
    chunk: FanoutChunk,
    owner: string,
    outcomes: DeliveryOutcome[],
    now: number,
  ): Promise<boolean> {
    return this.#tx(async (client) => {
      const held = await client.query(
        `DELETE FROM fanout_chunks WHERE message_id = $1 AND upto_id = $2 AND lease_owner = $3
           AND EXISTS (SELECT 1 FROM messages WHERE id = $1 AND status = 'sending')`,
        [chunk.messageId, chunk.upto, owner],
      );
      if (held.rowCount === 0) return false;
      await this.#applyOutcomes(client, chunk.messageId, outcomes, now);
      await this.#completeIfFinished(client, chunk.messageId, now);
      return true;
    });
  }

  async renewLeases(owner: string, now: number, leaseMs: number): Promise<void> {
    await this.#rows('UPDATE fanout_chunks SET lease_expires_at = $1 WHERE lease_owner = $2', [
      now + leaseMs,
      owner,
    ]);
    await this.#rows(
      "UPDATE deliveries SET lease_expires_at = $1 WHERE lease_owner = $2 AND status = 'retry'",
      [now + leaseMs, owner],
    );
  }

  async claimRetries(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.#tx(async (client) => {
      const rows = await this.#rows(
        `UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2
         WHERE (message_id, subscription_id) IN (
           SELECT d.message_id, d.subscription_id FROM deliveries d JOIN messages m ON m.id = d.message_id
           WHERE d.status = 'retry' AND d.next_attempt_at <= $3
             AND (d.lease_expires_at IS NULL OR d.lease_expires_at < $3) AND m.status = 'sending'
           ORDER BY d.next_attempt_at LIMIT $4 FOR UPDATE OF d SKIP LOCKED)
         RETURNING *`,
        [owner, now + leaseMs, now, limit],
        client,
      );
      const deliveries = rows.map(toDelivery);
      const messageIds = [...new Set(deliveries.map((d) => d.messageId))];
      const messages = new Map(
        (await this.#rows('SELECT * FROM messages WHERE id = ANY($1::text[])', [messageIds], client))
          .map(toMessage)
          .map((m) => [m.id, m]),
      );
      const subscriptionRows = await this.#rows(
        'SELECT * FROM subscriptions WHERE id = ANY($1::text[])',
        [deliveries.map((d) => d.subscriptionId)],
        client,
      );
      const subscriptions = new Map(
        (await this.#subscriptions(subscriptionRows, client)).map((s) => [s.id, s]),
      );
      return deliveries.map((delivery) => ({
        delivery,
        message: messages.get(delivery.messageId)!,
        subscription: subscriptions.get(delivery.subscriptionId),
      }));
    });
  }

  async recordRetries(
    messageId: string,
    owner: string,
    outcomes: DeliveryOutcome[],
    now: number,
  ): Promise<void> {
    await this.#tx(async (client) => {
      const heldRows = await this.#rows(
        `SELECT subscription_id FROM deliveries
         WHERE message_id = $1 AND lease_owner = $2 AND subscription_id = ANY($3::text[]) FOR UPDATE`,
        [messageId, owner, outcomes.map((o) => o.subscriptionId)],
        client,
      );
      const held = new Set(heldRows.map((row) => String(row.subscription_id)));
      await this.#applyOutcomes(
        client,
        messageId,
        outcomes.filter((o) => held.has(o.subscriptionId)),
        now,
      );
      await this.#completeIfFinished(client, messageId, now);
    });
  }

  async listDeliveries(messageId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM deliveries WHERE message_id = $1 ORDER BY subscription_id LIMIT $2',
      [messageId, limit],
    );
    return rows.map(toDelivery);
  }

  async queueDepth(): Promise<{ messages: number; retries: number }> {
    const row = await this.#row(
      `SELECT (SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')) AS messages,
              (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id
                WHERE d.status = 'retry' AND m.status = 'sending') AS retries`,
    );
    return { messages: Number(row!.messages), retries: Number(row!.retries) };
  }
}
