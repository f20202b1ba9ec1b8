-- 010: each job's last change on its own row, so that GET /register/status
-- reads one job row and never its history (storage/outbox.h, "changed_ms").
-- changed_ms: the time of the job's newest history line (outbox_events),
-- written by the statement or transaction that writes that line; 0 for a
-- job without one. Existing jobs take it from their history.
ALTER TABLE outbox ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET changed_ms = coalesce(
  (SELECT max(e.at_ms) FROM outbox_events e WHERE e.job_id = outbox.id), 0);
