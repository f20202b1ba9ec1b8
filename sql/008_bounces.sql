-- 008: bounces and suppression (CONTRACT section 8).
-- A delivery status notification recorded on its mail (regctl bounce):
-- its Action ('failed' or 'delayed'), Status and when it came; the job's
-- history holds a 'bounced' or 'delayed' event with the details.
ALTER TABLE outbox ADD COLUMN dsn_action TEXT
  CHECK (dsn_action IN ('failed', 'delayed'));
ALTER TABLE outbox ADD COLUMN dsn_status TEXT;
ALTER TABLE outbox ADD COLUMN dsn_ms INTEGER;

-- Addresses that do not exist (a 5.1.x or 5.2.1 for the job's own
-- recipient) get no mail until until_ms. regctl unsuppress sets until_ms
-- and lifted_ms to now: a notification about a mail from before then
-- suppresses nothing. Retention forgets a row once it has expired (a
-- lifted one 7 days after, when no notification can be that young).
CREATE TABLE suppressions (
  address   TEXT PRIMARY KEY,   -- the recipient exactly as the job had it
  status    TEXT NOT NULL,      -- what suppressed it: '5.1.1'
  job_id    INTEGER,            -- the mail that bounced (may be deleted)
  since_ms  INTEGER NOT NULL,
  until_ms  INTEGER NOT NULL,   -- since_ms + SUPPRESS_S
  lifted_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX suppressions_until ON suppressions(until_ms);
