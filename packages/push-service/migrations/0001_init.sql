-- The push service's tables: user agents (uaids), their channels (subscriptions) and the
-- messages waiting for them. Forward-only; PRAGMA user_version records what has run.
CREATE TABLE clients (
  uaid TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE channels (
  uaid TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  key TEXT,
  state TEXT NOT NULL CHECK (state IN ('active', 'unsubscribed', 'expired', 'dropped')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (uaid, channel_id)
) WITHOUT ROWID;

-- seq keeps delivery order; id is the protocol's version and the Location's last segment.
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  uaid TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  topic TEXT,
  urgency TEXT NOT NULL,
  headers TEXT NOT NULL,
  data TEXT,
  created_at INTEGER NOT NULL
);

CREATE INDEX messages_by_uaid ON messages (uaid, seq);
CREATE INDEX messages_by_topic ON messages (uaid, channel_id, topic) WHERE topic IS NOT NULL;
CREATE INDEX messages_by_expiry ON messages (expires_at);
