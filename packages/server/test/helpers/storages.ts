import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import type { Storage } from '../../src/storage/storage.js';

/** The PostgreSQL server the tests use (trust auth on loopback). */
export const postgresUrl = process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh storage and how to throw it away. */
export interface StorageFixture {
  storage: Storage;
  /** Opens another storage on the same database (a second process, as far as the data goes). */
  reopen(): Promise<Storage>;
  /** Sets a subscription's creation time in the database, for tests of history across days. */
  backdateSubscription(id: string, createdAt: number): Promise<void>;
  dispose(): Promise<void>;
}

/** A new SQLite database in its own temporary directory. */
export async function sqliteFixture(): Promise<StorageFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const file = join(dir, 'herald.db');
  const opened: Storage[] = [SqliteStorage.open(file)];
  return {
    storage: opened[0]!,
    async reopen() {
      const storage = SqliteStorage.open(file);
      opened.push(storage);
      return storage;
    },
    async backdateSubscription(id, createdAt) {
      const db = new Database(file);
      db.prepare('UPDATE subscriptions SET created_at = ? WHERE id = ?').run(createdAt, id);
      db.close();
    },
    async dispose() {
      for (const storage of opened) await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A new PostgreSQL schema, unique to this run, so engineers and CI jobs running the suite at the
 * same time never see each other's rows. Dropped on dispose.
 */
export async function postgresFixture(): Promise<StorageFixture> {
  const schema = `herald_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const opened: Storage[] = [await PostgresStorage.open({ connectionString: postgresUrl, schema, max: 4 })];
  return {
    storage: opened[0]!,
    async reopen() {
      const storage = await PostgresStorage.open({ connectionString: postgresUrl, schema, max: 4 });
      opened.push(storage);
      return storage;
    },
    async backdateSubscription(id, createdAt) {
      const client = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${schema}` });
      await client.connect();
      await client.query('UPDATE subscriptions SET created_at = $1 WHERE id = $2', [createdAt, id]);
      await client.end();
    },
    async dispose() {
      for (const storage of opened) await storage.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** Both implementations, for `describe.each`. */
export const storageFixtures = [
  { dialect: 'sqlite', create: sqliteFixture },
  { dialect: 'postgres', create: postgresFixture },
] as const;
