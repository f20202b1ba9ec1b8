-- 009: MAIL_CAP_TOTAL counts mails per recipient domain, and delays the
-- mail past it instead of dropping it (storage/mail_cap.h).
-- domain: the part of the mailbox (MailboxKey) after its '@', so
-- googlemail.com counts as gmail.com; NULL for a webhook. cap_ms: when the
-- domain cap counts the mail, its creation for a mail that went at once,
-- the time it was delayed to for one the cap held back (a queued job
-- whose cap_ms is past its created_ms, until it is first claimed).
ALTER TABLE outbox ADD COLUMN domain TEXT;
ALTER TABLE outbox ADD COLUMN cap_ms INTEGER;
UPDATE outbox SET domain = substr(mailbox, instr(mailbox, '@') + 1),
                  cap_ms = created_ms
  WHERE channel = 'mail' AND mailbox IS NOT NULL;
CREATE INDEX outbox_domain ON outbox(domain, cap_ms);
