-- 002 (PostgreSQL): receipts, as SQLite's sql/005_receipts.sql (see there).
CREATE TABLE receipts (
  hash       text PRIMARY KEY,            -- lowercase hex SHA-256 of R
  cause      text NOT NULL CHECK (cause IN ('register', 'resend')),
  job_id     bigint REFERENCES outbox(id),  -- the mail; NULL: none queued
  not_sent   text CHECK (not_sent IN ('mail_cap', 'suppressed')),
  token_hash text,                        -- a registration's: its token's hash
  created_ms bigint NOT NULL,
  expires_ms bigint NOT NULL              -- created_ms + TOKEN_TTL_S
);
CREATE INDEX receipts_expires ON receipts(expires_ms);
CREATE INDEX receipts_job ON receipts(job_id);

-- Which registration a token is for, and the wrong passwords typed for
-- it (see sql/005_receipts.sql).
ALTER TABLE tokens ADD COLUMN registration text;
ALTER TABLE tokens ADD COLUMN password_tries integer NOT NULL DEFAULT 0;
