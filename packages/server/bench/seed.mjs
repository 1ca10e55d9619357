// Seeds a database with N subscriptions fast: bulk inserts of rows the API would have written
// (valid P-256 points and 16-byte auth secrets, reused cyclically from a few thousand distinct
// key pairs: the sink does not decrypt, but the sender must do one real ECDH per message).
// Endpoints are <sink>/push/<n>, so the sink can count what each subscription received.
import { createECDH, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';

/** `count` distinct receiver key pairs (public point and auth secret, base64url). */
export function receiverKeys(count) {
  const keys = [];
  for (let i = 0; i < count; i++) {
    const ecdh = createECDH('prime256v1');
    keys.push({
      p256dh: ecdh.generateKeys().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    });
  }
  return keys;
}

/** Ids that sort like the server's (`sub_` + 26 characters, increasing with n). */
export function subscriptionId(n) {
  return `sub_BENCH${String(n).padStart(21, '0')}`;
}

function row(n, keys, sinkOrigin, vapidKeyId, now) {
  const key = keys[n % keys.length];
  return [
    subscriptionId(n),
    `${sinkOrigin}/push/${n}`,
    key.p256dh,
    key.auth,
    'aes128gcm',
    vapidKeyId,
    sinkOrigin,
    now,
  ];
}

/** Inserts subscriptions 0..count-1 into a migrated SQLite database file. */
export function seedSqlite(file, { count, keys, sinkOrigin, vapidKeyId }) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO subscriptions (id, endpoint, p256dh, auth, content_encoding, vapid_key_id, push_service_origin,
       revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  const now = Date.now();
  const many = db.transaction((from, to) => {
    for (let n = from; n < to; n++) {
      const r = row(n, keys, sinkOrigin, vapidKeyId, now);
      insert.run(...r, now);
    }
  });
  for (let from = 0; from < count; from += 50_000) many(from, Math.min(count, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Inserts subscriptions 0..count-1 into a migrated PostgreSQL schema (unnest, 10,000 rows a statement). */
export async function seedPostgres(connectionString, schema, { count, keys, sinkOrigin, vapidKeyId }) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  await client.query(`SET search_path TO ${schema}`);
  const now = Date.now();
  for (let from = 0; from < count; from += 10_000) {
    const columns = [[], [], [], [], [], [], [], []];
    for (let n = from; n < Math.min(count, from + 10_000); n++) {
      const values = row(n, keys, sinkOrigin, vapidKeyId, now);
      for (let i = 0; i < values.length; i++) columns[i].push(values[i]);
    }
    await client.query(
      `INSERT INTO subscriptions (id, endpoint, p256dh, auth, content_encoding, vapid_key_id, push_service_origin,
         revision, created_at, updated_at)
       SELECT id, endpoint, p256dh, auth, enc, vk, origin, 1, t, t
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
         AS u(id, endpoint, p256dh, auth, enc, vk, origin, t)`,
      columns,
    );
  }
  await client.query('ANALYZE subscriptions');
  await client.end();
}
