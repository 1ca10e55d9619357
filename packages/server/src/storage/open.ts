import { join } from 'node:path';
import { PostgresStorage } from './postgres.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './storage.js';

/** Where the data lives: a PostgreSQL URL, or else a data directory for SQLite. */
export interface StorageOptions {
  /** `postgres://...` selects PostgreSQL. */
  databaseUrl?: string;
  /** Directory of the SQLite database `herald.db` (default `./data`). */
  dataDir?: string;
  /** PostgreSQL schema (default `public`). */
  schema?: string;
}

/**
 * Opens the configured storage and applies pending migrations.
 *
 * @example
 * ```ts
 * const storage = await openStorage({ dataDir: './data' });
 * ```
 */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  if (options.databaseUrl) {
    return PostgresStorage.open({
      connectionString: options.databaseUrl,
      ...(options.schema ? { schema: options.schema } : {}),
    });
  }
  return SqliteStorage.open(join(options.dataDir ?? './data', 'herald.db'));
}
