-- Herald schema, PostgreSQL dialect. Times are BIGINT milliseconds since the Unix epoch, the same
-- representation as on SQLite so both implementations share their row mapping.

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE vapid_keys (
  id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL UNIQUE,
  private_key TEXT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL
);
-- At most one active key: the first-start race is settled by this index, not by a check-then-insert.
CREATE UNIQUE INDEX vapid_keys_one_active ON vapid_keys (active) WHERE active;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY COLLATE "C",
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  content_encoding TEXT NOT NULL,
  vapid_key_id TEXT NOT NULL REFERENCES vapid_keys (id),
  push_service_origin TEXT NOT NULL,
  user_id TEXT,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions (user_id, id) WHERE user_id IS NOT NULL;

-- Topic membership: (topic, subscription_id) is the keyset a topic fan-out walks.
CREATE TABLE subscription_topics (
  topic TEXT NOT NULL,
  subscription_id TEXT NOT NULL COLLATE "C" REFERENCES subscriptions (id) ON DELETE CASCADE,
  PRIMARY KEY (topic, subscription_id)
);
CREATE INDEX subscription_topics_subscription ON subscription_topics (subscription_id);

CREATE TABLE messages (
  id TEXT PRIMARY KEY COLLATE "C",
  status TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  notification TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  urgency TEXT NOT NULL,
  topic TEXT,
  send_at BIGINT NOT NULL,
  idempotency_key TEXT UNIQUE,
  targeted BIGINT NOT NULL DEFAULT 0,
  sent BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  gone BIGINT NOT NULL DEFAULT 0,
  delivered BIGINT NOT NULL DEFAULT 0,
  clicked BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  fanout_cursor TEXT COLLATE "C",
  fanout_done BOOLEAN NOT NULL DEFAULT FALSE,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX messages_due ON messages (send_at) WHERE status IN ('queued', 'sending') AND NOT fanout_done;

-- Rows only for deliveries that need one: a retry waiting (status 'retry') or a permanent failure.
-- Successful sends are counted on the message, never stored per subscriber.
CREATE TABLE deliveries (
  message_id TEXT NOT NULL COLLATE "C" REFERENCES messages (id) ON DELETE CASCADE,
  subscription_id TEXT NOT NULL COLLATE "C",
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  last_status INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (message_id, subscription_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'retry';
