-- 008 (PostgreSQL): each job's last change on its own row, as SQLite's
-- sql/010_job_changed.sql (see there).
ALTER TABLE outbox ADD COLUMN changed_ms bigint NOT NULL DEFAULT 0;
UPDATE outbox o SET changed_ms = e.at_ms
  FROM (SELECT job_id, max(at_ms) AS at_ms FROM outbox_events
        GROUP BY job_id) e
  WHERE e.job_id = o.id;
