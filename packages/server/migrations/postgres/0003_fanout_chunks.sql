-- Fan-out in leased chunks, so that any number of workers share one broadcast. A worker claims
-- the next chunk of a message's target (the keyset range fanout_cursor < id <= upto) by moving
-- the message's cursor past it and recording the range here with its lease, in one transaction;
-- it deletes the row in the transaction that records the chunk's outcomes. A row whose lease ran
-- out belongs to a worker that died: another worker claims it again (FOR UPDATE SKIP LOCKED) and
-- sends the range again, which is the documented at-least-once window.
CREATE TABLE fanout_chunks (
  message_id TEXT NOT NULL COLLATE "C" REFERENCES messages (id) ON DELETE CASCADE,
  after_id TEXT COLLATE "C",
  upto_id TEXT NOT NULL COLLATE "C",
  size INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (message_id, upto_id)
);
CREATE INDEX fanout_chunks_lease ON fanout_chunks (lease_expires_at);

-- The last push service answer that says the configuration is wrong (400/401/403) for this
-- subscription: it is kept, not deleted, and shown until a send succeeds again.
ALTER TABLE subscriptions ADD COLUMN config_error TEXT;
