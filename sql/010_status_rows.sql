-- 010: what GET /register/status shows, on the rows it reads by key (the
-- receipt, its job), so that a status read never reads a job's history
-- or a registration's token and account.
-- outbox.changed_ms: the job's last change, the time of its newest
-- history line (outbox_events), written by the statement or transaction
-- that writes that line (storage/outbox.h); 0 for a job without one.
ALTER TABLE outbox ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET changed_ms = coalesce(
  (SELECT max(e.at_ms) FROM outbox_events e WHERE e.job_id = outbox.id), 0);
-- receipts.verified_ms: a registration's own receipt, once the token it
-- names is used (which verifies its account, or finds it verified): when.
-- tokens.receipt: the hash of the receipt of the request that minted the
-- token, the one its use marks (storage/rows.h, TxnRows::UseToken).
ALTER TABLE receipts ADD COLUMN verified_ms INTEGER;
ALTER TABLE tokens ADD COLUMN receipt TEXT;
UPDATE receipts SET verified_ms = (
  SELECT t.used_ms FROM tokens t JOIN users u ON u.id = t.user_id
  WHERE t.hash = receipts.token_hash AND u.verified_ms IS NOT NULL)
  WHERE cause = 'register';
UPDATE tokens SET receipt = r.hash FROM receipts r
  WHERE r.token_hash = tokens.hash AND tokens.used_ms IS NULL;
