-- 007 (PostgreSQL): MAIL_CAP_TOTAL per recipient domain, as SQLite's
-- sql/009_domain_cap.sql (see there).
ALTER TABLE outbox ADD COLUMN domain text;
ALTER TABLE outbox ADD COLUMN cap_ms bigint;
UPDATE outbox SET domain = substring(mailbox from '@([^@]*)$'),
                  cap_ms = created_ms
  WHERE channel = 'mail' AND mailbox IS NOT NULL;
CREATE INDEX outbox_domain ON outbox(domain, cap_ms);
