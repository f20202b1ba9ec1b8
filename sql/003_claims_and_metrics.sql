-- 003: who holds a claim; the sealed messages in a table of their own;
-- metrics read from the rows at scrape time.
-- "pid@host" of the process that claimed the job last: with the lease it
-- tells an operator which process is sending a job.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

-- Why an attempt was put back (connect, timeout, 4xx, network, tls), on
-- 'retry' events: mail_retries_total{reason} counts them.
ALTER TABLE outbox_events ADD COLUMN reason TEXT;

-- What /internal/metrics reads, so a scrape reads indexes, never the rows
-- (whose sealed messages fill overflow pages):
-- the delivery histogram (answer-to-250 times of sent jobs),
CREATE INDEX outbox_sent ON outbox(state, sent_ms, created_ms) WHERE state = 'sent';
-- retries by reason,
CREATE INDEX outbox_events_retry ON outbox_events(event, reason)
  WHERE event = 'retry';
-- activations (accounts verified).
CREATE INDEX users_verified ON users(verified_ms) WHERE verified_ms IS NOT NULL;

-- What the release before counted in counters only, the jobs its
-- retention deleted, is kept as "retired:" figures (the counter less what
-- the rows give), so that no total goes down at the upgrade.
INSERT INTO counters(name, value)
SELECT 'retired:jobs', max(0,
  coalesce((SELECT value FROM counters WHERE name = 'registrations_total'), 0)
  - (SELECT count(*) FROM outbox)
  - coalesce((SELECT sum(value) FROM counters
              WHERE name IN ('mail_capped_total', 'mail_capped_service_total')), 0));
INSERT INTO counters(name, value)
SELECT 'retired:sent', max(0,
  coalesce((SELECT value FROM counters WHERE name = 'mail_sent_total'), 0)
  - (SELECT count(*) FROM outbox WHERE state = 'sent'));
INSERT INTO counters(name, value)
SELECT 'retired:failed', max(0,
  coalesce((SELECT value FROM counters WHERE name = 'mail_failed_total'), 0)
  - (SELECT count(*) FROM outbox WHERE state = 'failed'));
INSERT INTO counters(name, value)
SELECT 'retired:delivered', max(0,
  coalesce((SELECT value FROM counters
            WHERE name = 'mail_delivery_seconds_count'), 0)
  - (SELECT count(*) FROM outbox WHERE state = 'sent'));
INSERT INTO counters(name, value)
SELECT 'retired:delivery_ms_sum', max(0,
  coalesce((SELECT value FROM counters WHERE name = 'mail_delivery_ms_sum'), 0)
  - (SELECT coalesce(sum(max(sent_ms - created_ms, 0)), 0) FROM outbox
     WHERE state = 'sent'));
-- The histogram's bounds (kDeliveryBuckets), by index.
WITH b(i, le, ms) AS (VALUES
  (0, '0.05', 50), (1, '0.1', 100), (2, '0.25', 250), (3, '0.5', 500),
  (4, '1', 1000), (5, '2.5', 2500), (6, '5', 5000), (7, '10', 10000),
  (8, '30', 30000), (9, '60', 60000), (10, '300', 300000),
  (11, '1800', 1800000), (12, '3600', 3600000))
INSERT INTO counters(name, value)
SELECT 'retired:delivered_within:' || b.i, max(0,
  coalesce((SELECT value FROM counters
            WHERE name = 'mail_delivery_seconds_bucket{le="' || b.le || '"}'), 0)
  - (SELECT count(*) FROM outbox
     WHERE state = 'sent' AND sent_ms - created_ms <= b.ms))
FROM b;
-- Retry events written before this migration carry no reason and are not
-- counted from the rows: their counters carry over whole.
INSERT INTO counters(name, value)
SELECT 'retired:retry:' || substr(name, 28, length(name) - 29), value
FROM counters WHERE name LIKE 'mail_retries_total{reason="%"}';
DELETE FROM counters WHERE name LIKE 'retired:%' AND value = 0;

-- The counters the transactions used to bump are now counted from the
-- rows; only what no row records stays a counter: capped registrations
-- and what retention deleted (retention also adds the figures of the jobs
-- it deletes, under "retired:" names, so that no *_total goes down).
DELETE FROM counters WHERE name NOT IN (
  'mail_capped_total', 'mail_capped_service_total',
  'retention_accounts_deleted_total', 'retention_mail_bodies_deleted_total')
  AND name NOT LIKE 'retired:%';

-- The sealed message apart from the job's row: a claim or an outcome
-- rewrites the job's row, and the message (a few KiB, in overflow pages)
-- would be rewritten with it at every state change.
CREATE TABLE outbox_messages (
  job_id  INTEGER PRIMARY KEY REFERENCES outbox(id),
  message BLOB NOT NULL
);
-- A body retention emptied (migration 002) gets no row: retention deletes
-- a sent mail's row here instead.
INSERT INTO outbox_messages(job_id, message)
  SELECT id, message FROM outbox WHERE length(message) > 0;
DROP INDEX outbox_kept_bodies;
ALTER TABLE outbox DROP COLUMN message;
