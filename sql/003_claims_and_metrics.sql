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

-- The counters the transactions used to bump are now counted from the
-- rows; only what no row records stays a counter: capped registrations
-- and what retention deleted (retention also adds the figures of the jobs
-- it deletes, under "retired:" names, so that no *_total goes down).
DELETE FROM counters WHERE name NOT IN (
  'mail_capped_total', 'mail_capped_service_total',
  'retention_accounts_deleted_total', 'retention_mail_bodies_deleted_total');

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
