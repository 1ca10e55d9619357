-- Subscribers over time (GET /api/v1/stats): a deleted or pruned subscription leaves the table,
-- so its count stays here, by the UTC day it was created and the UTC day it was removed. Every
-- way a subscription goes (the API, a replacement, pruning on 404/410) is a DELETE, so a trigger
-- counts them all in the deleting transaction. Removals before this migration are not known.
CREATE TABLE subscription_removals (
  created_day TEXT NOT NULL,
  removed_day TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (created_day, removed_day)
);

-- One statement-level trigger per DELETE: a pruned chunk adds one row per creation day, not one
-- per subscription. Rows are upserted in day order, so two workers pruning at once lock them in
-- the same order and wait for each other instead of deadlocking.
CREATE FUNCTION subscriptions_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subscription_removals (created_day, removed_day, count)
  SELECT to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*)
  FROM removed GROUP BY 1 ORDER BY 1
  ON CONFLICT (created_day, removed_day) DO UPDATE SET count = subscription_removals.count + excluded.count;
  RETURN NULL;
END
$$;

CREATE TRIGGER subscriptions_removed AFTER DELETE ON subscriptions
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_removed();
