-- Receipts reported by @herald/sw (docs/payload.md): one row per (message, subscription, event),
-- so a replayed receipt is counted once; the counters on messages are the funnel.
ALTER TABLE messages ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;

CREATE TABLE receipts (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  subscription_id TEXT NOT NULL,
  event TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, subscription_id, event)
);
