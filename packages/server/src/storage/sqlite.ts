import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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

const expiredError = 'the TTL ran out before the message could be sent';

/**
 * SQL fragment and parameters selecting the ids of a target's subscriptions after a cursor.
 * Arrays travel as one JSON parameter (`json_each`) so a long id list never meets SQLite's
 * bound-parameter limit.
 */
function targetIds(target: MessageTarget, cursor: string | null, limit: number | null): [string, unknown[]] {
  const after = cursor ?? '';
  const tail = limit === null ? '' : ' ORDER BY 1 LIMIT ?';
  const tailParams = limit === null ? [] : [limit];
  if ('all' in target) {
    return [`SELECT id FROM subscriptions WHERE id > ?${tail}`, [after, ...tailParams]];
  }
  if ('topics' in target) {
    return [
      `SELECT DISTINCT subscription_id FROM subscription_topics
       WHERE topic IN (SELECT value FROM json_each(?)) AND subscription_id > ?${tail}`,
      [JSON.stringify(target.topics), after, ...tailParams],
    ];
  }
  if ('userIds' in target) {
    return [
      `SELECT id FROM subscriptions WHERE user_id IN (SELECT value FROM json_each(?)) AND id > ?${tail}`,
      [JSON.stringify(target.userIds), after, ...tailParams],
    ];
  }
  return [
    `SELECT id FROM subscriptions WHERE id IN (SELECT value FROM json_each(?)) AND id > ?${tail}`,
    [JSON.stringify(target.subscriptionIds), after, ...tailParams],
  ];
}

/**
 * {@link Storage} on SQLite through better-sqlite3, in WAL mode. SQLite serialises writers, so
 * this implementation is for one Herald process; its queries are synchronous and fast (no
 * network round trip), wrapped in promises to fit the interface.
 *
 * @example
 * ```ts
 * const storage = SqliteStorage.open('./data/herald.db');
 * ```
 */
export class SqliteStorage implements Storage {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (creating if needed) the database file and applies pending migrations. */
  static open(file: string): SqliteStorage {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes
    // (only an OS crash can lose the last transactions), the usual choice with WAL.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const storage = new SqliteStorage(db);
    storage.#migrate();
    return storage;
  }

  #migrate(): void {
    const migrations = loadMigrations('sqlite');
    // BEGIN IMMEDIATE takes the write lock before reading the applied version, so two processes
    // starting at once apply each migration exactly once (the second waits, then finds it done).
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS herald_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      const applied = Number(
        (this.#db.prepare('SELECT coalesce(max(version), 0) AS v FROM herald_migrations').get() as Row).v,
      );
      checkNotAhead(applied, migrations);
      for (const migration of migrations.slice(applied)) {
        this.#db.exec(migration.sql);
        this.#db
          .prepare('INSERT INTO herald_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: unknown[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: unknown[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: unknown[]): number {
    return this.#stmt(sql).run(...params).changes;
  }

  // One better-sqlite3 transaction wrapper, reused: it runs whatever function it is handed.
  readonly #transaction = (fn: () => unknown) => fn();
  #txRunner: Database.Transaction<(fn: () => unknown) => unknown> | undefined;

  #tx<T>(fn: () => T): T {
    this.#txRunner ??= this.#db.transaction(this.#transaction);
    return this.#txRunner.immediate(fn) as T;
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = this.#get('SELECT value FROM settings WHERE key = ?', key);
    return row ? String(row.value) : undefined;
  }

  async setSettingIfAbsent(key: string, value: string): Promise<string> {
    return this.#tx(() => {
      this.#run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', key, value);
      return String(this.#get('SELECT value FROM settings WHERE key = ?', key)!.value);
    });
  }

  async listVapidKeys(): Promise<VapidKeyRecord[]> {
    return this.#all('SELECT * FROM vapid_keys ORDER BY created_at, id').map(toVapidKey);
  }

  async getVapidKey(id: string): Promise<VapidKeyRecord | undefined> {
    const row = this.#get('SELECT * FROM vapid_keys WHERE id = ?', id);
    return row ? toVapidKey(row) : undefined;
  }

  async getVapidKeyByPublicKey(publicKey: string): Promise<VapidKeyRecord | undefined> {
    const row = this.#get('SELECT * FROM vapid_keys WHERE public_key = ?', publicKey);
    return row ? toVapidKey(row) : undefined;
  }

  async getActiveVapidKey(): Promise<VapidKeyRecord | undefined> {
    const row = this.#get('SELECT * FROM vapid_keys WHERE active = 1');
    return row ? toVapidKey(row) : undefined;
  }

  async ensureActiveVapidKey(key: { publicKey: string; privateKey: string }): Promise<VapidKeyRecord> {
    return this.#tx(() => {
      const active = this.#get('SELECT * FROM vapid_keys WHERE active = 1');
      if (active) return toVapidKey(active);
      return this.#addVapidKey(key, true);
    });
  }

  async addVapidKey(
    key: { publicKey: string; privateKey: string },
    activate: boolean,
  ): Promise<VapidKeyRecord> {
    return this.#tx(() => this.#addVapidKey(key, activate));
  }

  #addVapidKey(key: { publicKey: string; privateKey: string }, activate: boolean): VapidKeyRecord {
    const existing = this.#get('SELECT * FROM vapid_keys WHERE public_key = ?', key.publicKey);
    if (existing && String(existing.private_key) !== key.privateKey) {
      throw new ServerError(
        'ERR_CONFLICT',
        'this VAPID public key is held already with a different private key',
      );
    }
    const id = existing ? String(existing.id) : newId('vk');
    if (!existing) {
      this.#run(
        'INSERT INTO vapid_keys (id, public_key, private_key, active, created_at) VALUES (?, ?, ?, 0, ?)',
        id,
        key.publicKey,
        key.privateKey,
        Date.now(),
      );
    }
    if (activate) {
      this.#run('UPDATE vapid_keys SET active = 0 WHERE active = 1 AND id <> ?', id);
      this.#run('UPDATE vapid_keys SET active = 1 WHERE id = ?', id);
    }
    return toVapidKey(this.#get('SELECT * FROM vapid_keys WHERE id = ?', id)!);
  }

  async createApiKey(key: { id: string; name: string; hash: string }): Promise<ApiKeyRecord> {
    this.#run(
      'INSERT INTO api_keys (id, name, hash, created_at) VALUES (?, ?, ?, ?)',
      key.id,
      key.name,
      key.hash,
      Date.now(),
    );
    return toApiKey(this.#get('SELECT * FROM api_keys WHERE id = ?', key.id)!);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.#all('SELECT * FROM api_keys ORDER BY created_at, id').map(toApiKey);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#get('SELECT * FROM api_keys WHERE id = ?', id);
    return row ? toApiKey(row) : undefined;
  }

  async revokeApiKey(id: string): Promise<boolean> {
    return (
      this.#run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', Date.now(), id) > 0
    );
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    this.#run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', at, id);
  }

  #topicsOf(ids: string[]): Map<string, string[]> {
    const topics = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return topics;
    const rows = this.#all(
      'SELECT subscription_id, topic FROM subscription_topics WHERE subscription_id IN (SELECT value FROM json_each(?))',
      JSON.stringify(ids),
    );
    for (const row of rows) topics.get(String(row.subscription_id))?.push(String(row.topic));
    return topics;
  }

  #subscriptions(rows: Row[]): SubscriptionRecord[] {
    const topics = this.#topicsOf(rows.map((row) => String(row.id)));
    return rows.map((row) => toSubscription(row, topics.get(String(row.id)) ?? []));
  }

  #upsert(input: SubscriptionInput, now: number): { id: string; created: boolean } {
    const row = this.#get(
      `INSERT INTO subscriptions (id, endpoint, p256dh, auth, content_encoding, vapid_key_id, push_service_origin,
         user_id, revision, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
         content_encoding = excluded.content_encoding, vapid_key_id = excluded.vapid_key_id,
         push_service_origin = excluded.push_service_origin,
         user_id = CASE WHEN ? THEN excluded.user_id ELSE subscriptions.user_id END,
         config_error = NULL, revision = subscriptions.revision + 1, updated_at = excluded.updated_at
       RETURNING id, revision`,
      newId('sub', now),
      input.endpoint,
      input.p256dh,
      input.auth,
      input.contentEncoding,
      input.vapidKeyId,
      input.pushServiceOrigin,
      input.userId ?? null,
      now,
      now,
      input.userId === undefined ? 0 : 1,
    )!;
    const id = String(row.id);
    const created = Number(row.revision) === 1;
    // A new row has no topics yet: nothing to delete.
    if (input.topics !== undefined) this.#replaceTopics(id, input.topics, !created);
    return { id, created };
  }

  #replaceTopics(id: string, topics: string[], existing = true): void {
    const json = JSON.stringify(topics);
    if (existing) {
      this.#run(
        'DELETE FROM subscription_topics WHERE subscription_id = ? AND topic NOT IN (SELECT value FROM json_each(?))',
        id,
        json,
      );
    }
    this.#run(
      `INSERT INTO subscription_topics (topic, subscription_id)
       SELECT DISTINCT value, ? FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`,
      id,
      json,
    );
  }

  /**
   * Group commit: registrations that arrive in the same turn of the event loop are written in
   * one transaction. A commit costs ~250 µs here (WAL frames for two tables and their indexes)
   * while the upsert itself costs ~35 µs, so under a burst of subscribes this multiplies the
   * throughput; alone, a registration waits one `setImmediate`. If the shared transaction fails,
   * each registration is retried in its own, so one bad row never fails its neighbours.
   */
  async upsertSubscription(input: SubscriptionInput): Promise<{ id: string; created: boolean }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flushPending());
    });
  }

  #pending: {
    input: SubscriptionInput;
    resolve: (value: { id: string; created: boolean }) => void;
    reject: (error: unknown) => void;
  }[] = [];

  #flushPending(): void {
    const pending = this.#pending;
    this.#pending = [];
    try {
      const results = this.#tx(() => {
        const now = Date.now();
        return pending.map(({ input }) => this.#upsert(input, now));
      });
      for (const [i, { resolve }] of pending.entries()) resolve(results[i]!);
    } catch {
      for (const { input, resolve, reject } of pending) {
        try {
          resolve(this.#tx(() => this.#upsert(input, Date.now())));
        } catch (error) {
          reject(error);
        }
      }
    }
  }

  async upsertSubscriptions(inputs: SubscriptionInput[]): Promise<{ created: number; updated: number }> {
    return this.#tx(() => {
      const now = Date.now();
      let created = 0;
      for (const input of inputs) if (this.#upsert(input, now).created) created++;
      return { created, updated: inputs.length - created };
    });
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    const row = this.#get('SELECT * FROM subscriptions WHERE id = ?', id);
    return row ? this.#subscriptions([row])[0] : undefined;
  }

  async getSubscriptionByEndpoint(endpoint: string): Promise<SubscriptionRecord | undefined> {
    const row = this.#get('SELECT * FROM subscriptions WHERE endpoint = ?', endpoint);
    return row ? this.#subscriptions([row])[0] : undefined;
  }

  async listSubscriptions(query: SubscriptionQuery): Promise<SubscriptionRecord[]> {
    const rows = this.#all(
      `SELECT * FROM subscriptions s
       WHERE s.id > ? AND (? IS NULL OR s.user_id = ?)
         AND (? IS NULL OR EXISTS (SELECT 1 FROM subscription_topics t WHERE t.subscription_id = s.id AND t.topic = ?))
       ORDER BY s.id LIMIT ?`,
      query.after ?? '',
      query.userId ?? null,
      query.userId ?? null,
      query.topic ?? null,
      query.topic ?? null,
      query.limit,
    );
    return this.#subscriptions(rows);
  }

  async countSubscriptions(): Promise<number> {
    return Number(this.#get('SELECT count(*) AS n FROM subscriptions')!.n);
  }

  async subscriptionStats(): Promise<SubscriptionStats> {
    const byPushService = this.#all(
      'SELECT push_service_origin AS p, count(*) AS n FROM subscriptions GROUP BY push_service_origin ORDER BY n DESC, p',
    ).map((r) => ({ pushService: String(r.p), count: Number(r.n) }));
    const held = this.#all(
      "SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS d, count(*) AS n FROM subscriptions GROUP BY d",
    ).map((r) => ({ day: String(r.d), count: Number(r.n) }));
    const removals = this.#all('SELECT created_day, removed_day, count FROM subscription_removals').map(
      (r) => ({
        createdDay: String(r.created_day),
        removedDay: String(r.removed_day),
        count: Number(r.count),
      }),
    );
    const byDay = subscriberHistory(held, removals);
    return { total: byPushService.reduce((sum, p) => sum + p.count, 0), byPushService, byDay };
  }

  async recordReceipts(receipts: ReceiptInput[], now: number): Promise<number> {
    return this.#tx(() => {
      let added = 0;
      for (const r of receipts) {
        // The message must exist (a receipt for a deleted message is dropped, not an error).
        const inserted = this.#run(
          `INSERT INTO receipts (message_id, subscription_id, event, created_at)
           SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)
           ON CONFLICT DO NOTHING`,
          r.messageId,
          r.subscriptionId,
          r.event,
          now,
          r.messageId,
        );
        if (inserted === 0) continue;
        // The column name comes from the closed set of events, never from input text.
        this.#run(
          `UPDATE messages SET ${receiptColumn[r.event]} = ${receiptColumn[r.event]} + 1 WHERE id = ?`,
          r.messageId,
        );
        added++;
      }
      return added;
    });
  }

  async setSubscriptionTopics(id: string, topics: string[]): Promise<SubscriptionRecord | undefined> {
    return this.#tx(() => {
      const changed = this.#run(
        'UPDATE subscriptions SET revision = revision + 1, updated_at = ? WHERE id = ?',
        Date.now(),
        id,
      );
      if (changed === 0) return undefined;
      this.#replaceTopics(id, topics);
      return this.#subscriptions([this.#get('SELECT * FROM subscriptions WHERE id = ?', id)!])[0];
    });
  }

  async setSubscriptionUser(id: string, userId: string | null): Promise<SubscriptionRecord | undefined> {
    const changed = this.#run(
      'UPDATE subscriptions SET user_id = ?, revision = revision + 1, updated_at = ? WHERE id = ?',
      userId,
      Date.now(),
      id,
    );
    return changed === 0 ? undefined : this.getSubscription(id);
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.#run('DELETE FROM subscriptions WHERE id = ?', id) > 0;
  }

  async createMessage(input: MessageInput): Promise<{ message: MessageRecord; created: boolean }> {
    return this.#tx(() => {
      if (input.idempotencyKey !== null) {
        const existing = this.#get('SELECT * FROM messages WHERE idempotency_key = ?', input.idempotencyKey);
        if (existing) return { message: toMessage(existing), created: false };
      }
      const now = Date.now();
      const id = newId('msg', now);
      this.#run(
        `INSERT INTO messages (id, status, target, payload, notification, ttl, urgency, topic, send_at,
           idempotency_key, created_at, updated_at)
         VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        JSON.stringify(input.target),
        input.payload,
        JSON.stringify(input.notification),
        input.ttl,
        input.urgency,
        input.topic,
        input.sendAt,
        input.idempotencyKey,
        now,
        now,
      );
      return { message: toMessage(this.#get('SELECT * FROM messages WHERE id = ?', id)!), created: true };
    });
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    const row = this.#get('SELECT * FROM messages WHERE id = ?', id);
    return row ? toMessage(row) : undefined;
  }

  async listMessages(query: { before?: string; limit: number }): Promise<MessageRecord[]> {
    return this.#all(
      'SELECT * FROM messages WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?',
      query.before ?? null,
      query.before ?? null,
      query.limit,
    ).map(toMessage);
  }

  async cancelMessage(
    id: string,
    from: readonly ('queued' | 'sending')[] = ['queued', 'sending'],
  ): Promise<MessageRecord | undefined> {
    return this.#tx(() => {
      const now = Date.now();
      this.#run(
        `UPDATE messages SET status = 'cancelled', updated_at = ?, completed_at = ?
         WHERE id = ? AND status IN (SELECT value FROM json_each(?))`,
        now,
        now,
        id,
        JSON.stringify(from),
      );
      const row = this.#get('SELECT * FROM messages WHERE id = ?', id);
      return row ? toMessage(row) : undefined;
    });
  }

  #applyOutcomes(messageId: string, outcomes: DeliveryOutcome[], now: number): void {
    for (const outcome of outcomes) {
      if (outcome.result === 'sent') {
        this.#run(
          "DELETE FROM deliveries WHERE message_id = ? AND subscription_id = ? AND status = 'retry'",
          messageId,
          outcome.subscriptionId,
        );
      } else if (outcome.result === 'gone') {
        this.#run(
          "DELETE FROM deliveries WHERE message_id = ? AND subscription_id = ? AND status = 'retry'",
          messageId,
          outcome.subscriptionId,
        );
        this.#run(
          'DELETE FROM subscriptions WHERE id = ? AND revision = ?',
          outcome.subscriptionId,
          outcome.revision,
        );
      } else {
        const retry = outcome.result === 'retry';
        this.#run(
          `INSERT INTO deliveries (message_id, subscription_id, status, attempts, next_attempt_at, last_status,
             last_error, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (message_id, subscription_id) DO UPDATE SET status = excluded.status,
             attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, lease_owner = NULL,
             lease_expires_at = NULL, last_status = excluded.last_status, last_error = excluded.last_error,
             updated_at = excluded.updated_at`,
          messageId,
          outcome.subscriptionId,
          outcome.result,
          outcome.attempts,
          retry ? outcome.nextAttemptAt : null,
          outcome.status,
          outcome.error,
          now,
          now,
        );
        if (outcome.result === 'failed' && outcome.configError) {
          this.#run('UPDATE messages SET last_error = ? WHERE id = ?', outcome.error, messageId);
          this.#run(
            'UPDATE subscriptions SET config_error = ? WHERE id = ?',
            outcome.error,
            outcome.subscriptionId,
          );
        }
      }
    }
    const tally = tallyOutcomes(outcomes);
    this.#run(
      'UPDATE messages SET sent = sent + ?, failed = failed + ?, gone = gone + ?, updated_at = ? WHERE id = ?',
      tally.sent,
      tally.failed,
      tally.gone,
      now,
      messageId,
    );
  }

  #completeIfFinished(messageId: string, now: number): void {
    this.#run(
      `UPDATE messages SET status = 'completed', completed_at = ?,
         targeted = max(targeted, sent + failed + gone)
       WHERE id = ? AND status = 'sending' AND fanout_done = 1
         AND NOT EXISTS (SELECT 1 FROM deliveries WHERE message_id = ? AND status = 'retry')
         AND NOT EXISTS (SELECT 1 FROM fanout_chunks WHERE message_id = ?)`,
      now,
      messageId,
      messageId,
      messageId,
    );
  }

  #chunkTargets(message: MessageRecord, chunk: FanoutChunk): ClaimedChunk {
    const [sql, params] = targetIds(message.target, chunk.after, chunk.size);
    const rows = this.#all(
      `SELECT ${pushTargetColumns} FROM subscriptions WHERE id IN (${sql}) AND id <= ? ORDER BY id`,
      ...params,
      chunk.upto,
    );
    return { message, chunk, targets: rows.map(toPushTarget) };
  }

  async claimChunk(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<ClaimedChunk | undefined> {
    return this.#tx(() => {
      const lapsed = this.#get(
        `SELECT c.* FROM fanout_chunks c JOIN messages m ON m.id = c.message_id
         WHERE c.lease_expires_at < ? AND m.status = 'sending' ORDER BY c.lease_expires_at, c.message_id, c.upto_id LIMIT 1`,
        now,
      );
      if (lapsed) {
        const chunk = toFanoutChunk(lapsed);
        this.#run(
          'UPDATE fanout_chunks SET lease_owner = ?, lease_expires_at = ? WHERE message_id = ? AND upto_id = ?',
          owner,
          now + leaseMs,
          chunk.messageId,
          chunk.upto,
        );
        const message = toMessage(this.#get('SELECT * FROM messages WHERE id = ?', chunk.messageId)!);
        return this.#chunkTargets(message, chunk);
      }
      for (;;) {
        const row = this.#get(
          `SELECT * FROM messages WHERE status IN ('queued', 'sending') AND fanout_done = 0 AND send_at <= ?
           ORDER BY send_at, id LIMIT 1`,
          now,
        );
        if (!row) return undefined;
        let message = toMessage(row);
        if (message.ttl > 0 && now >= message.sendAt + message.ttl * 1000) {
          this.#expire(message, now);
          continue;
        }
        if (message.status === 'queued') {
          const [sql, params] = targetIds(message.target, null, null);
          const targeted = Number(this.#get(`SELECT count(*) AS n FROM (${sql})`, ...params)!.n);
          this.#run(
            "UPDATE messages SET status = 'sending', targeted = ?, updated_at = ? WHERE id = ?",
            targeted,
            now,
            message.id,
          );
          message = { ...message, status: 'sending', counts: { ...message.counts, targeted } };
        }
        const [sql, params] = targetIds(message.target, message.cursor, limit);
        const targets = this.#all(
          `SELECT ${pushTargetColumns} FROM subscriptions WHERE id IN (${sql}) ORDER BY id`,
          ...params,
        ).map(toPushTarget);
        const done = targets.length < limit;
        const upto = targets.at(-1)?.id ?? message.cursor;
        this.#run(
          'UPDATE messages SET fanout_cursor = ?, fanout_done = ?, updated_at = ? WHERE id = ?',
          upto,
          done ? 1 : 0,
          now,
          message.id,
        );
        if (targets.length === 0) {
          this.#completeIfFinished(message.id, now);
          continue;
        }
        const chunk: FanoutChunk = {
          messageId: message.id,
          after: message.cursor,
          upto: upto!,
          size: targets.length,
        };
        this.#run(
          `INSERT INTO fanout_chunks (message_id, after_id, upto_id, size, lease_owner, lease_expires_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          chunk.messageId,
          chunk.after,
          chunk.upto,
          chunk.size,
          owner,
          now + leaseMs,
          now,
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
  #expire(message: MessageRecord, now: number): void {
    const [sql, params] = targetIds(message.target, message.cursor, null);
    const remaining = Number(this.#get(`SELECT count(*) AS n FROM (${sql})`, ...params)!.n);
    this.#run(
      `UPDATE messages SET status = 'sending', fanout_done = 1, failed = failed + ?, last_error = ?,
         targeted = CASE WHEN status = 'queued' THEN ? ELSE targeted END, updated_at = ? WHERE id = ?`,
      remaining,
      expiredError,
      remaining,
      now,
      message.id,
    );
    this.#completeIfFinished(message.id, now);
  }

  async recordChunk(
    chunk: FanoutChunk,
    owner: string,
    outcomes: DeliveryOutcome[],
    now: number,
  ): Promise<boolean> {
    return this.#tx(() => {
      const held = this.#run(
        `DELETE FROM fanout_chunks WHERE message_id = ? AND upto_id = ? AND lease_owner = ?
           AND EXISTS (SELECT 1 FROM messages WHERE id = ? AND status = 'sending')`,
        chunk.messageId,
        chunk.upto,
        owner,
        chunk.messageId,
      );
      if (held === 0) return false;
      this.#applyOutcomes(chunk.messageId, outcomes, now);
      this.#completeIfFinished(chunk.messageId, now);
      return true;
    });
  }

  async renewLeases(owner: string, now: number, leaseMs: number): Promise<void> {
    this.#tx(() => {
      this.#run('UPDATE fanout_chunks SET lease_expires_at = ? WHERE lease_owner = ?', now + leaseMs, owner);
      this.#run(
        "UPDATE deliveries SET lease_expires_at = ? WHERE lease_owner = ? AND status = 'retry'",
        now + leaseMs,
        owner,
      );
    });
  }

  async claimRetries(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.#tx(() => {
      const rows = this.#all(
        `SELECT d.* FROM deliveries d JOIN messages m ON m.id = d.message_id
         WHERE d.status = 'retry' AND d.next_attempt_at <= ? AND (d.lease_expires_at IS NULL OR d.lease_expires_at < ?)
           AND m.status = 'sending'
         ORDER BY d.next_attempt_at LIMIT ?`,
        now,
        now,
        limit,
      );
      const claimed: ClaimedDelivery[] = [];
      const messages = new Map<string, MessageRecord>();
      for (const row of rows) {
        const delivery = toDelivery(row);
        this.#run(
          'UPDATE deliveries SET lease_owner = ?, lease_expires_at = ? WHERE message_id = ? AND subscription_id = ?',
          owner,
          now + leaseMs,
          delivery.messageId,
          delivery.subscriptionId,
        );
        let message = messages.get(delivery.messageId);
        if (!message) {
          message = toMessage(this.#get('SELECT * FROM messages WHERE id = ?', delivery.messageId)!);
          messages.set(message.id, message);
        }
        const subscription = this.#get('SELECT * FROM subscriptions WHERE id = ?', delivery.subscriptionId);
        claimed.push({
          delivery,
          message,
          subscription: subscription ? this.#subscriptions([subscription])[0] : undefined,
        });
      }
      return claimed;
    });
  }

  async recordRetries(
    messageId: string,
    owner: string,
    outcomes: DeliveryOutcome[],
    now: number,
  ): Promise<void> {
    this.#tx(() => {
      const held = outcomes.filter(
        (outcome) =>
          this.#get(
            'SELECT 1 AS ok FROM deliveries WHERE message_id = ? AND subscription_id = ? AND lease_owner = ?',
            messageId,
            outcome.subscriptionId,
            owner,
          ) !== undefined,
      );
      this.#applyOutcomes(messageId, held, now);
      this.#completeIfFinished(messageId, now);
    });
  }

  async listDeliveries(messageId: string, limit: number): Promise<DeliveryRecord[]> {
    return this.#all(
      'SELECT * FROM deliveries WHERE message_id = ? ORDER BY subscription_id LIMIT ?',
      messageId,
      limit,
    ).map(toDelivery);
  }

  async queueDepth(): Promise<{ messages: number; retries: number }> {
    const messages = Number(
      this.#get("SELECT count(*) AS n FROM messages WHERE status IN ('queued', 'sending')")!.n,
    );
    // Retries of a cancelled message are never sent (claimRetries skips them): not queued work.
    const retries = Number(
      this.#get(
        "SELECT count(*) AS n FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.status = 'retry' AND m.status = 'sending'",
      )!.n,
    );
    return { messages, retries };
  }
}
