-- 001: accounts, verification tokens, the mail outbox and its history.
-- Applied once, in a transaction, when PRAGMA user_version < 1.
-- Times are Unix milliseconds.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL,           -- as typed, trimmed: where mail goes
  email_norm    TEXT NOT NULL UNIQUE,    -- ASCII-lowercased: uniqueness is case-insensitive
  password_hash TEXT NOT NULL,           -- $scrypt$ln=..,r=8,p=1$salt$key
  created_ms    INTEGER NOT NULL,
  verified_ms   INTEGER                  -- NULL until a link is used
);

-- Only a hash of each token is kept. A token carries the password hash of
-- the registration it was mailed for: using the link activates that
-- registration, so a stranger who registers the address first cannot have
-- the owner activate the stranger's password with the owner's own link.
CREATE TABLE tokens (
  hash          TEXT PRIMARY KEY,        -- lowercase hex SHA-256 of the token
  user_id       INTEGER NOT NULL REFERENCES users(id),
  password_hash TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  expires_ms    INTEGER NOT NULL,
  used_ms       INTEGER
) WITHOUT ROWID;
CREATE INDEX tokens_user ON tokens(user_id);

-- One row per mail. The message is rendered once, when the registration is
-- committed, and kept sealed (AES-256-GCM under a key derived from
-- job.secret), so every attempt sends identical bytes and the database never
-- holds a verification token in clear.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  user_id         INTEGER NOT NULL REFERENCES users(id),
  kind            TEXT NOT NULL CHECK (kind IN ('verify', 'exists')),
  rcpt            TEXT NOT NULL,
  message_id      TEXT NOT NULL UNIQUE,
  message         BLOB NOT NULL,
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL,      -- when the answer's transaction committed
  next_attempt_ms INTEGER NOT NULL,      -- a sweep may claim a queued job from then on
  lease_until_ms  INTEGER,               -- while 'sending': the claim holds until then
  last_reply      TEXT,                  -- last SMTP reply or transport error
  sent_ms         INTEGER
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_user ON outbox(user_id, created_ms);

CREATE TABLE outbox_events (
  job_id INTEGER NOT NULL REFERENCES outbox(id),
  at_ms  INTEGER NOT NULL,
  event  TEXT NOT NULL,                  -- queued, claimed, sent, retry, failed, requeued
  detail TEXT
);
CREATE INDEX outbox_events_job ON outbox_events(job_id);

-- Monotonic counters shared by every process (Prometheus *_total and
-- histogram buckets), updated in the transactions that cause them.
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
