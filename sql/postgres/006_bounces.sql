-- 006 (PostgreSQL): bounces and suppression, as SQLite's
-- sql/008_bounces.sql (see there).
ALTER TABLE outbox ADD COLUMN dsn_action text
  CHECK (dsn_action IN ('failed', 'delayed'));
ALTER TABLE outbox ADD COLUMN dsn_status text;
ALTER TABLE outbox ADD COLUMN dsn_ms bigint;

CREATE TABLE suppressions (
  address   text PRIMARY KEY,
  status    text NOT NULL,
  job_id    bigint,
  since_ms  bigint NOT NULL,
  until_ms  bigint NOT NULL,
  lifted_ms bigint
);
CREATE INDEX suppressions_until ON suppressions(until_ms);
