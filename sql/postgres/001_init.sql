-- 001 (PostgreSQL): accounts, verification tokens, the mail outbox and its
-- history; the same tables as SQLite's sql/001 to 004, in one step.
-- Applied once, under an advisory lock, recorded in schema_version.
-- Times are Unix milliseconds, from the database's clock (reg_now_ms):
-- every host reads the same clock, so skew between hosts cannot free a
-- live claim or delay a due job.

CREATE FUNCTION reg_now_ms() RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$;

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text NOT NULL,           -- as typed, trimmed: where mail goes
  email_norm    text NOT NULL UNIQUE,    -- ASCII-lowercased: uniqueness is case-insensitive
  password_hash text NOT NULL,           -- $scrypt$ln=..,r=8,p=1$salt$key
  created_ms    bigint NOT NULL,
  verified_ms   bigint                   -- NULL until a link is used
);
CREATE INDEX users_verified ON users(verified_ms) WHERE verified_ms IS NOT NULL;
-- Retention: unverified accounts by age.
CREATE INDEX users_unverified ON users(created_ms) WHERE verified_ms IS NULL;

-- Only a hash of each token is kept; a token carries the password hash of
-- the registration it was mailed for (see sql/001_init.sql).
CREATE TABLE tokens (
  hash          text PRIMARY KEY,        -- lowercase hex SHA-256 of the token
  user_id       bigint NOT NULL REFERENCES users(id),
  password_hash text NOT NULL,
  created_ms    bigint NOT NULL,
  expires_ms    bigint NOT NULL,
  used_ms       bigint
);
CREATE INDEX tokens_user ON tokens(user_id);

-- One row per job: a mail, or an event for the site's app (WEBHOOK_URL),
-- through the same states, claims, leases, retries and sweeps. Its
-- message (the mail, or the event's JSON body), sealed, is in
-- outbox_messages below.
CREATE TABLE outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id         bigint NOT NULL REFERENCES users(id),
  channel         text NOT NULL DEFAULT 'mail'
                  CHECK (channel IN ('mail', 'webhook')),
  kind            text NOT NULL
                  CHECK (kind IN ('verify', 'exists', 'account.verified')),
  -- What queued it: a registration, a "send it again", an activation.
  cause           text NOT NULL DEFAULT 'register'
                  CHECK (cause IN ('register', 'resend', 'activate')),
  rcpt            text NOT NULL,         -- the address; '' for a webhook
  mailbox         text,                  -- MailboxKey(rcpt); NULL for a webhook
  message_id      text NOT NULL UNIQUE,  -- Message-ID, or the event id
  state           text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  created_ms      bigint NOT NULL,       -- when the answer's transaction committed
  next_attempt_ms bigint NOT NULL,       -- a sweep may claim a queued job from then on
  lease_until_ms  bigint,                -- while 'sending': the claim holds until then
  last_reply      text,                  -- last SMTP reply or transport error
  sent_ms         bigint,
  claimed_by      text                   -- "pid@host" of the last claim
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_user ON outbox(user_id, created_ms);
-- MAIL_CAP counts a mailbox's mails of the last hour; MAIL_CAP_TOTAL all.
CREATE INDEX outbox_mailbox ON outbox(mailbox, created_ms);
CREATE INDEX outbox_created ON outbox(created_ms);
-- Counts by channel and state, and by cause, for the metrics.
CREATE INDEX outbox_channel_state ON outbox(channel, state);
CREATE INDEX outbox_cause ON outbox(cause);
CREATE INDEX outbox_sent ON outbox(sent_ms, created_ms) WHERE state = 'sent';

-- The sealed message apart from the job's row: a claim or an outcome
-- writes a new version of the job's row (MVCC), and a message of a few KiB
-- would be copied (or its TOAST pointer rewritten) with it each time.
CREATE TABLE outbox_messages (
  job_id  bigint PRIMARY KEY REFERENCES outbox(id),
  message bytea NOT NULL
);

CREATE TABLE outbox_events (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES outbox(id),
  at_ms  bigint NOT NULL,
  event  text NOT NULL,                  -- queued, claimed, sent, retry, failed, requeued
  detail text,
  reason text                            -- on 'retry': connect, timeout, 4xx, network, tls
);
CREATE INDEX outbox_events_job ON outbox_events(job_id);
CREATE INDEX outbox_events_retry ON outbox_events(reason) WHERE event = 'retry';

-- What no row records: capped registrations (mail_capped_total,
-- mail_capped_service_total), what retention deleted (its *_total
-- counters, and the deleted jobs' figures under "retired:" names, so that
-- no total goes down), and where its last run stopped.
CREATE TABLE counters (
  name  text PRIMARY KEY,
  value bigint NOT NULL
);
