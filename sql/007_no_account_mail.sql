-- 007: the "no account uses this address" mail (CONTRACT section 2, POST
-- /register/resend for an unknown address) goes through the outbox like
-- every other mail: a job of kind 'no_account' that belongs to no account
-- (user_id NULL), counted in its mailbox by MAIL_CAP.
-- SQLite cannot change a CHECK or a NOT NULL in place: the table is
-- rebuilt with every column it has (a migration before this one that adds
-- a column to outbox must add it here too; the migration runs with foreign
-- keys off and checks them before it commits).
CREATE TABLE outbox_new (
  id              INTEGER PRIMARY KEY,
  -- The account; NULL only for a 'no_account' mail, which has none.
  user_id         INTEGER REFERENCES users(id)
                  CHECK (user_id IS NOT NULL OR kind = 'no_account'),
  channel         TEXT NOT NULL DEFAULT 'mail'
                  CHECK (channel IN ('mail', 'webhook')),
  kind            TEXT NOT NULL
                  CHECK (kind IN ('verify', 'exists', 'no_account',
                                  'account.verified')),
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
INSERT INTO outbox_new(id, user_id, channel, kind, cause, rcpt, message_id,
                       state, attempts, created_ms, next_attempt_ms,
                       lease_until_ms, last_reply, sent_ms, mailbox,
                       claimed_by)
  SELECT id, user_id, channel, kind, cause, rcpt, message_id, state,
         attempts, created_ms, next_attempt_ms, lease_until_ms, last_reply,
         sent_ms, mailbox, claimed_by
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_user ON outbox(user_id, created_ms);
CREATE INDEX outbox_sent ON outbox(state, sent_ms, created_ms) WHERE state = 'sent';
CREATE INDEX outbox_mailbox ON outbox(mailbox, created_ms);
CREATE INDEX outbox_created ON outbox(created_ms);
CREATE INDEX outbox_channel_state ON outbox(channel, state);
CREATE INDEX outbox_cause ON outbox(cause);
