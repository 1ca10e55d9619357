-- Herald schema, SQLite dialect. Times are integer milliseconds since the Unix epoch.

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE vapid_keys (
  id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL UNIQUE,
  private_key TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
-- At most one active key: the first-start race is settled by this index, not by a check-then-insert.
CREATE UNIQUE INDEX vapid_keys_one_active ON vapid_keys (active) WHERE active = 1;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  content_encoding TEXT NOT NULL,
  vapid_key_id TEXT NOT NULL REFERENCES vapid_keys (id),
  push_service_origin TEXT NOT NULL,
  user_id TEXT,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions (user_id, id) WHERE user_id IS NOT NULL;

-- Topic membership: (topic, subscription_id) is the keyset a topic fan-out walks.
CREATE TABLE subscription_topics (
  topic TEXT NOT NULL,
  subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  PRIMARY KEY (topic, subscription_id)
);
CREATE INDEX subscription_topics_subscription ON subscription_topics (subscription_id);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  notification TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  urgency TEXT NOT NULL,
  topic TEXT,
  send_at INTEGER NOT NULL,
  idempotency_key TEXT UNIQUE,
  targeted INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  gone INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  clicked INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  fanout_cursor TEXT,
  fanout_done INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX messages_due ON messages (send_at) WHERE status IN ('queued', 'sending') AND fanout_done = 0;

-- Rows only for deliveries that need one: a retry waiting (status 'retry') or a permanent failure.
-- Successful sends are counted on the message, never stored per subscriber.
CREATE TABLE deliveries (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  subscription_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, subscription_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'retry';
