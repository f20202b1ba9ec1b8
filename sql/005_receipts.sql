-- 005: receipts (CONTRACT section 8). Every accepted answer of POST
-- /register and POST /register/resend carries a receipt R; only a hash of
-- R is kept, with the mail it names (or why none was sent), written in the
-- transaction that queues that mail. A receipt names a mail, never an
-- account: GET /register/status?r=R reads the mail's state through it.
CREATE TABLE receipts (
  hash       TEXT PRIMARY KEY,            -- lowercase hex SHA-256 of R
  -- A registration's own receipt (the browser's cookie keeps it), or a
  -- "send it again"'s (which proves nothing).
  cause      TEXT NOT NULL CHECK (cause IN ('register', 'resend')),
  job_id     INTEGER REFERENCES outbox(id),  -- the mail; NULL: none queued
  -- Why no mail was queued: MAIL_CAP, or (bounces) a suppressed address.
  not_sent   TEXT CHECK (not_sent IN ('mail_cap', 'suppressed')),
  -- A registration's receipt: the hash of the token minted for it (its
  -- link), so the receipt can say "verified" and prove the registration.
  token_hash TEXT,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL             -- created_ms + TOKEN_TTL_S
) WITHOUT ROWID;
-- Retention forgets expired receipts; it deletes an account's jobs, and
-- the receipts naming them, together.
CREATE INDEX receipts_expires ON receipts(expires_ms);
CREATE INDEX receipts_job ON receipts(job_id);

-- Which registration a token is for (CONTRACT section 2, POST /activate):
-- the hash of the token its POST /register minted (that token's own hash);
-- a resend's token names the registration it was minted for, whose
-- receipt alone (in the registering browser's cookie) spares the
-- password. NULL on older rows: the token is its own registration.
ALTER TABLE tokens ADD COLUMN registration TEXT;
-- Wrong passwords typed for this link: from the 5th on it answers 410.
ALTER TABLE tokens ADD COLUMN password_tries INTEGER NOT NULL DEFAULT 0;
