import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PushServiceError } from '../errors.js';
import type { ChannelRecord, ChannelState, PushStore, StoreCounts, StoredMessage } from './store.js';

const migrationsDir = new URL('../../migrations/', import.meta.url);

interface ChannelRow {
  uaid: string;
  channel_id: string;
  token: string;
  key: string | null;
  state: ChannelState;
  created_at: number;
}

interface MessageRow {
  id: string;
  uaid: string;
  channel_id: string;
  ttl: number;
  expires_at: number;
  topic: string | null;
  urgency: string;
  headers: string;
  data: string | null;
  created_at: number;
}

function toChannel(row: ChannelRow): ChannelRecord {
  return {
    uaid: row.uaid,
    channelId: row.channel_id,
    token: row.token,
    key: row.key,
    state: row.state,
    createdAt: row.created_at,
  };
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    uaid: row.uaid,
    channelId: row.channel_id,
    ttl: row.ttl,
    expiresAt: row.expires_at,
    topic: row.topic,
    urgency: row.urgency,
    headers: JSON.parse(row.headers),
    data: row.data,
    createdAt: row.created_at,
  };
}

/**
 * A {@link PushStore} in SQLite (better-sqlite3, WAL): `<dataDir>/push-service.sqlite3`.
 * Registrations and waiting messages survive a restart. The numbered SQL files in
 * `migrations/` run forward-only inside one `BEGIN IMMEDIATE` transaction, so two processes
 * opening the same directory at once do not both migrate.
 *
 * @example
 * ```ts
 * const service = await PushService.start({ port: 0, store: new SqliteStore('./data') });
 * ```
 */
export class SqliteStore implements PushStore {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(dataDir: string) {
    try {
      mkdirSync(dataDir, { recursive: true });
      this.#db = new Database(join(dataDir, 'push-service.sqlite3'));
      this.#db.pragma('journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode; only a power loss can drop the
      // last transactions, which is acceptable for a push service (senders retry).
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('busy_timeout = 5000');
      this.#migrate();
    } catch (error) {
      throw new PushServiceError(
        'ERR_STORAGE',
        `could not open the push-service database in ${dataDir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const db = this.#db;
    this.#statements = {
      hasClient: db.prepare('SELECT 1 FROM clients WHERE uaid = ?').pluck(),
      addClient: db.prepare('INSERT OR IGNORE INTO clients (uaid, created_at) VALUES (?, ?)'),
      deleteClient: db.prepare('DELETE FROM clients WHERE uaid = ?'),
      dropChannels: db.prepare("UPDATE channels SET state = 'dropped' WHERE uaid = ?"),
      deleteClientMessages: db.prepare('DELETE FROM messages WHERE uaid = ?'),
      getChannel: db.prepare('SELECT * FROM channels WHERE uaid = ? AND channel_id = ?'),
      getChannelByToken: db.prepare('SELECT * FROM channels WHERE token = ?'),
      listChannels: db.prepare('SELECT * FROM channels WHERE uaid = ?'),
      addChannel: db.prepare(
        'INSERT OR REPLACE INTO channels (uaid, channel_id, token, key, state, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setChannelState: db.prepare('UPDATE channels SET state = ? WHERE uaid = ? AND channel_id = ?'),
      deleteChannelMessages: db.prepare('DELETE FROM messages WHERE uaid = ? AND channel_id = ?'),
      findTopic: db
        .prepare('SELECT id FROM messages WHERE uaid = ? AND channel_id = ? AND topic = ?')
        .pluck(),
      deleteById: db.prepare('DELETE FROM messages WHERE id = ?'),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, uaid, channel_id, ttl, expires_at, topic, urgency, headers, data, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteExpiredOf: db.prepare('DELETE FROM messages WHERE uaid = ? AND expires_at <= ?'),
      pending: db.prepare('SELECT * FROM messages WHERE uaid = ? ORDER BY seq'),
      deleteMessage: db.prepare('DELETE FROM messages WHERE uaid = ? AND channel_id = ? AND id = ?'),
      deleteExpired: db.prepare('DELETE FROM messages WHERE expires_at <= ?'),
      trimChannel: db.prepare(
        `DELETE FROM messages WHERE seq IN (
           SELECT seq FROM messages WHERE uaid = ? AND channel_id = ? ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      ),
      countClients: db.prepare('SELECT count(*) FROM clients').pluck(),
      countChannels: db.prepare('SELECT count(*) FROM channels').pluck(),
      countMessages: db.prepare('SELECT count(*) FROM messages').pluck(),
    };
  }

  #migrate(): void {
    const files = readdirSync(migrationsDir)
      .filter((name) => /^\d{4}_.+\.sql$/.test(name))
      .sort();
    const migrate = this.#db.transaction(() => {
      const current = this.#db.pragma('user_version', { simple: true }) as number;
      for (const file of files) {
        const version = Number(file.slice(0, 4));
        if (version <= current) continue;
        this.#db.exec(readFileSync(new URL(file, migrationsDir), 'utf8'));
        this.#db.pragma(`user_version = ${version}`);
      }
    });
    migrate.immediate();
  }

  hasClient(uaid: string): boolean {
    return this.#statements.hasClient.get(uaid) !== undefined;
  }

  addClient(uaid: string, now: number): void {
    this.#statements.addClient.run(uaid, now);
  }

  dropClient(uaid: string): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      s.deleteClient.run(uaid);
      s.dropChannels.run(uaid);
      s.deleteClientMessages.run(uaid);
    })();
  }

  getChannel(uaid: string, channelId: string): ChannelRecord | undefined {
    const row = this.#statements.getChannel.get(uaid, channelId) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  getChannelByToken(token: string): ChannelRecord | undefined {
    const row = this.#statements.getChannelByToken.get(token) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  listChannels(uaid: string): ChannelRecord[] {
    return (this.#statements.listChannels.all(uaid) as ChannelRow[]).map(toChannel);
  }

  addChannel(r: ChannelRecord): void {
    this.#statements.addChannel.run(r.uaid, r.channelId, r.token, r.key, r.state, r.createdAt);
  }

  setChannelState(uaid: string, channelId: string, state: ChannelState): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      s.setChannelState.run(state, uaid, channelId);
      if (state !== 'active') s.deleteChannelMessages.run(uaid, channelId);
    })();
  }

  saveMessage(m: StoredMessage): string | undefined {
    const s = this.#statements;
    return this.#db.transaction(() => {
      let replaced: string | undefined;
      if (m.topic !== null) {
        replaced = s.findTopic.get(m.uaid, m.channelId, m.topic) as string | undefined;
        if (replaced !== undefined) s.deleteById.run(replaced);
      }
      s.insertMessage.run(
        m.id,
        m.uaid,
        m.channelId,
        m.ttl,
        m.expiresAt,
        m.topic,
        m.urgency,
        JSON.stringify(m.headers),
        m.data,
        m.createdAt,
      );
      return replaced;
    })();
  }

  pendingMessages(uaid: string, now: number): StoredMessage[] {
    this.#statements.deleteExpiredOf.run(uaid, now);
    return (this.#statements.pending.all(uaid) as MessageRow[]).map(toMessage);
  }

  deleteMessage(uaid: string, channelId: string, id: string): boolean {
    return this.#statements.deleteMessage.run(uaid, channelId, id).changes > 0;
  }

  deleteExpired(now: number): number {
    return this.#statements.deleteExpired.run(now).changes;
  }

  trimChannel(uaid: string, channelId: string, keep: number): number {
    return this.#statements.trimChannel.run(uaid, channelId, keep).changes;
  }

  counts(): StoreCounts {
    const s = this.#statements;
    return {
      clients: s.countClients.get() as number,
      channels: s.countChannels.get() as number,
      messages: s.countMessages.get() as number,
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
