-- 008 (PostgreSQL): what GET /register/status shows, on the rows it reads
-- by key, as SQLite's sql/010_status_rows.sql (see there).
ALTER TABLE outbox ADD COLUMN changed_ms bigint NOT NULL DEFAULT 0;
UPDATE outbox o SET changed_ms = e.at_ms
  FROM (SELECT job_id, max(at_ms) AS at_ms FROM outbox_events
        GROUP BY job_id) e
  WHERE e.job_id = o.id;
ALTER TABLE receipts ADD COLUMN verified_ms bigint;
ALTER TABLE tokens ADD COLUMN receipt text;
UPDATE receipts r SET verified_ms = t.used_ms
  FROM tokens t JOIN users u ON u.id = t.user_id
  WHERE t.hash = r.token_hash AND r.cause = 'register'
  AND u.verified_ms IS NOT NULL AND t.used_ms IS NOT NULL;
UPDATE tokens t SET receipt = r.hash FROM receipts r
  WHERE r.token_hash = t.hash AND t.used_ms IS NULL;
