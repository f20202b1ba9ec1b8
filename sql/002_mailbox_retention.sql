-- 002: the mailbox a mail went to, for MAIL_CAP and MAIL_CAP_TOTAL; indexes
-- for the retention sweep.

-- MAIL_CAP counts mails per mailbox: the address ASCII-lowercased, without
-- a "+tag" after the local part (Ann+x@Example.com and ann@example.com are
-- one mailbox). Rows from before get the same key, computed here.
ALTER TABLE outbox ADD COLUMN mailbox TEXT;
UPDATE outbox SET mailbox = lower(
  CASE WHEN instr(substr(rcpt, 1, instr(rcpt, '@') - 1), '+') > 0
       THEN substr(rcpt, 1, instr(rcpt, '+') - 1) || substr(rcpt, instr(rcpt, '@'))
       ELSE rcpt END);
CREATE INDEX outbox_mailbox ON outbox(mailbox, created_ms);
-- MAIL_CAP_TOTAL counts every mail of the last hour.
CREATE INDEX outbox_created ON outbox(created_ms);

-- Retention: unverified accounts by age, and sent mails whose sealed body
-- is still kept (an empty blob once removed).
CREATE INDEX users_unverified ON users(created_ms) WHERE verified_ms IS NULL;
CREATE INDEX outbox_kept_bodies ON outbox(sent_ms)
  WHERE state = 'sent' AND length(message) > 0;
