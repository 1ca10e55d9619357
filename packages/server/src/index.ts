/**
 * `@herald/server`: the Herald server — subscriptions, messages and an HTTP API, on SQLite and
 * PostgreSQL.
 *
 * @packageDocumentation
 */
export { createApiKey, hashApiKey, verifyApiKey } from './auth/api-keys.js';
export { LinkTokens } from './auth/link-tokens.js';
export { configSources, type HeraldConfig, loadConfig } from './config.js';
export { classify, defaultRetryPolicy, type RetryPolicy } from './delivery/outcome.js';
export type { PushRequest, PushResponse, PushSender } from './delivery/sender.js';
export { WebPushSender, type WebPushSenderOptions } from './delivery/webpush-sender.js';
export { DeliveryWorker, type WorkerOptions } from './delivery/worker.js';
export { errorCodes, httpStatusByCode, ServerError, type ServerErrorCode } from './errors.js';
export { type AppOptions, buildApp } from './http/app.js';
export type { AppContext } from './http/context.js';
export { newId } from './ids.js';
export { Metrics } from './metrics.js';
export { EndpointPolicy } from './push/endpoint-policy.js';
export { buildPayload, maxPayloadBytes, type NotificationInput, withDelivery } from './push/payload.js';
export { ReceiptTokens } from './push/receipt-tokens.js';
export { type HeraldServer, missingSubjectWarning, type StartOptions, startHerald } from './server.js';
export { openStorage, type StorageOptions } from './storage/open.js';
export { type PostgresOptions, PostgresStorage } from './storage/postgres.js';
export { SqliteStorage } from './storage/sqlite.js';
export type * from './storage/storage.js';
export { generateVapidKeyPair, VapidKeyRing } from './vapid-key-ring.js';
