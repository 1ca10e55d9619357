import { readdirSync, readFileSync } from 'node:fs';
import { ServerError } from '../errors.js';

/** One numbered migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The migrations of one dialect, read from `migrations/<dialect>/NNNN_name.sql` in the package
 * (the folder sits beside `src/` and `dist/`, so the same relative path works from both), in
 * version order. Migrations are forward-only: a file once released is never edited.
 *
 * @example
 * ```ts
 * const migrations = loadMigrations('sqlite');
 * migrations[0].version; // 1
 * ```
 */
export function loadMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  const dir = new URL(`../../migrations/${dialect}/`, import.meta.url);
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) {
        throw new ServerError(
          'ERR_STORAGE',
          `migration file names must look like 0001_name.sql, got "${file}"`,
        );
      }
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(new URL(file, dir), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new ServerError(
        'ERR_STORAGE',
        `migrations must be numbered 1, 2, 3... without gaps; expected ${index + 1}, got ${migration.version}`,
      );
    }
  });
  return migrations;
}

/** Throws when the database has migrations this version of Herald does not know (a newer Herald ran). */
export function checkNotAhead(applied: number, known: Migration[]): void {
  if (applied > known.length) {
    throw new ServerError(
      'ERR_STORAGE',
      `the database is at migration ${applied} but this Herald knows only ${known.length}; upgrade Herald`,
    );
  }
}
