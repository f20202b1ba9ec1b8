-- 006: the code of a verification mail (CONTRACT section 8). Beside its
-- link, every verification mail that goes out holds a 6-digit code, typed
-- with the receipt of the POST /register the link was minted for. Only a
-- MAC of the code is kept, on the token of that mail (NULL: the mail was
-- not sent, or the row is from before).
ALTER TABLE tokens ADD COLUMN code_mac TEXT;
-- The mailbox (MailboxKey) of the mail a receipt names, or would have
-- named: wrong codes count per mailbox, whatever the receipt. NULL on
-- older rows: they count under the receipt alone.
-- A code is looked up among the tokens of the receipt's registration.
CREATE INDEX tokens_registration ON tokens(registration);
ALTER TABLE receipts ADD COLUMN mailbox TEXT;
-- One row per wrong code typed; from the 5th of a mailbox within
-- TOKEN_TTL_S on, every code of that mailbox answers 410.
CREATE TABLE wrong_codes (
  mailbox TEXT NOT NULL,
  at_ms   INTEGER NOT NULL
);
CREATE INDEX wrong_codes_mailbox ON wrong_codes(mailbox, at_ms);
CREATE INDEX wrong_codes_at ON wrong_codes(at_ms);
