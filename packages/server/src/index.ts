/**
 * `@herald/server`: the Herald server — subscriptions, messages and an HTTP API, on SQLite and
 * PostgreSQL.
 *
 * @packageDocumentation
 */
export { errorCodes, httpStatusByCode, ServerError, type ServerErrorCode } from './errors.js';
export { newId } from './ids.js';
export { openStorage, type StorageOptions } from './storage/open.js';
export { type PostgresOptions, PostgresStorage } from './storage/postgres.js';
export { SqliteStorage } from './storage/sqlite.js';
export type * from './storage/storage.js';
