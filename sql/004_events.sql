-- 004: events for the site's own application (WEBHOOK_URL) in the outbox,
-- as a second channel beside mail: the same states, claims, leases,
-- retries, sweeps and history. A 'webhook' job's message is its sealed
-- JSON body; it goes to WEBHOOK_URL as configured when it is sent, and
-- its message_id is the event id receivers dedupe by.
-- SQLite cannot change a CHECK in place: the table is rebuilt (the
-- migration runs with foreign keys off and checks them before it commits).
CREATE TABLE outbox_new (
  id              INTEGER PRIMARY KEY,
  user_id         INTEGER NOT NULL REFERENCES users(id),
  channel         TEXT NOT NULL DEFAULT 'mail'
                  CHECK (channel IN ('mail', 'webhook')),
  kind            TEXT NOT NULL
                  CHECK (kind IN ('verify', 'exists', 'account.verified')),
  -- What queued it: a registration, a "send it again", an activation.
  cause           TEXT NOT NULL DEFAULT 'register'
                  CHECK (cause IN ('register', 'resend', 'activate')),
  rcpt            TEXT NOT NULL,         -- the address; '' for a webhook
  message_id      TEXT NOT NULL UNIQUE,  -- Message-ID, or the event id
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  lease_until_ms  INTEGER,
  last_reply      TEXT,
  sent_ms         INTEGER,
  mailbox         TEXT,                  -- MailboxKey(rcpt); NULL for a webhook
  claimed_by      TEXT
);
INSERT INTO outbox_new(id, user_id, kind, rcpt, message_id, state, attempts,
                       created_ms, next_attempt_ms, lease_until_ms,
                       last_reply, sent_ms, mailbox, claimed_by)
  SELECT id, user_id, kind, rcpt, message_id, state, attempts, created_ms,
         next_attempt_ms, lease_until_ms, last_reply, sent_ms, mailbox,
         claimed_by
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_user ON outbox(user_id, created_ms);
CREATE INDEX outbox_sent ON outbox(state, sent_ms, created_ms) WHERE state = 'sent';
CREATE INDEX outbox_mailbox ON outbox(mailbox, created_ms);
CREATE INDEX outbox_created ON outbox(created_ms);
-- Counts by channel and state, and by cause, for the metrics.
CREATE INDEX outbox_channel_state ON outbox(channel, state);
CREATE INDEX outbox_cause ON outbox(cause);
