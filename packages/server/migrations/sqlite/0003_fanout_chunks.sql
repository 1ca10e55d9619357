-- Fan-out in leased chunks (see the PostgreSQL migration of the same number for the design). On
-- SQLite one process sends; the rows still make a restarted process resend only the chunks that
-- were in flight when it stopped.
CREATE TABLE fanout_chunks (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  after_id TEXT,
  upto_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, upto_id)
);
CREATE INDEX fanout_chunks_lease ON fanout_chunks (lease_expires_at);

-- The last configuration problem a push service reported for this subscription (400/401/403).
ALTER TABLE subscriptions ADD COLUMN config_error TEXT;
