-- 004 (PostgreSQL): the code of a verification mail, as SQLite's
-- sql/006_codes.sql (see there).
ALTER TABLE tokens ADD COLUMN code_mac text;
CREATE INDEX tokens_registration ON tokens(registration);
ALTER TABLE receipts ADD COLUMN mailbox text;
CREATE TABLE wrong_codes (
  mailbox text NOT NULL,
  at_ms   bigint NOT NULL
);
CREATE INDEX wrong_codes_mailbox ON wrong_codes(mailbox, at_ms);
CREATE INDEX wrong_codes_at ON wrong_codes(at_ms);
