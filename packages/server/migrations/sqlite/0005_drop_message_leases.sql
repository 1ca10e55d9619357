-- Messages are no longer leased as a whole: the fan-out leases chunks (fanout_chunks, 0003) and
-- retries lease their delivery rows. The message's own lease columns have been unused since.
ALTER TABLE messages DROP COLUMN lease_owner;
ALTER TABLE messages DROP COLUMN lease_expires_at;
