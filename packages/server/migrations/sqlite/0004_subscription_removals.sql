-- Subscribers over time (GET /api/v1/stats): a deleted or pruned subscription leaves the table,
-- so its count stays here, by the UTC day it was created and the UTC day it was removed. Every
-- way a subscription goes (the API, a replacement, pruning on 404/410) is a DELETE, so a trigger
-- counts them all in the deleting transaction. Removals before this migration are not known.
CREATE TABLE subscription_removals (
  created_day TEXT NOT NULL,
  removed_day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (created_day, removed_day)
);

CREATE TRIGGER subscriptions_removed AFTER DELETE ON subscriptions
BEGIN
  INSERT INTO subscription_removals (created_day, removed_day, count)
  VALUES (strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch'), strftime('%Y-%m-%d', 'now'), 1)
  ON CONFLICT (created_day, removed_day) DO UPDATE SET count = count + 1;
END;
