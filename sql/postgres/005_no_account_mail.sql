-- 005 (PostgreSQL): the "no account uses this address" mail, a job of its
-- own kind that belongs to no account (see sql/007_no_account_mail.sql).
ALTER TABLE outbox ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
  CHECK (kind IN ('verify', 'exists', 'no_account', 'account.verified'));
ALTER TABLE outbox ADD CONSTRAINT outbox_user_check
  CHECK (user_id IS NOT NULL OR kind = 'no_account');
