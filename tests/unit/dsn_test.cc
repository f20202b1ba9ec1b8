// Real notifications: Postfix 3.7's bounce (as Debian's Postfix writes it
// into a pipe: mbox "From " line, LF ends), Exim's and Microsoft 365's
// (written out from their documentation and samples), Sendmail's with two
// recipient groups, and an RFC 6533 global one.
#include "mail/dsn.h"

#include <gtest/gtest.h>

#include <string>

namespace reg {
namespace {

const char kPostfixBounce[] =
    "From MAILER-DAEMON  Sun Dec  6 16:40:01 2026\n"
    "Return-Path: <>\n"
    "Delivered-To: bounces+j42t1796575200mabcdefghijklmnop@mail.test\n"
    "Date: Sun,  6 Dec 2026 16:40:01 +0000 (UTC)\n"
    "From: MAILER-DAEMON@mail.test (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "To: bounces+j42t1796575200mabcdefghijklmnop@mail.test\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"9D4C31A0042.1796575201/mail.test\"\n"
    "Message-Id: <20261206164001.A1B2C3@mail.test>\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--9D4C31A0042.1796575201/mail.test\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "This is the mail system at host mail.test.\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients.\n"
    "\n"
    "<ghost@nosuch.test>: mailbox unavailable\n"
    "\n"
    "--9D4C31A0042.1796575201/mail.test\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mail.test\n"
    "X-Postfix-Queue-ID: 9D4C31A0042\n"
    "X-Postfix-Sender: rfc822; bounces+j42t1796575200mabcdefghijklmnop@mail.test\n"
    "Arrival-Date: Sun,  6 Dec 2026 16:40:00 +0000 (UTC)\n"
    "\n"
    "Final-Recipient: rfc822; ghost@nosuch.test\n"
    "Original-Recipient: rfc822;ghost@nosuch.test\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: X-Postfix; mailbox unavailable\n"
    "\n"
    "--9D4C31A0042.1796575201/mail.test\n"
    "Content-Description: Undelivered Message Headers\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Return-Path: <bounces+j42t1796575200mabcdefghijklmnop@mail.test>\n"
    "Subject: Confirm your address\n"
    "\n"
    "--9D4C31A0042.1796575201/mail.test--\n";

TEST(ParseDsn, ReadsPostfixsBounceWithItsMboxLine) {
  const Dsn dsn = ParseDsn(kPostfixBounce);
  ASSERT_EQ(dsn.kind, Dsn::Kind::kReport);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  const DsnRecipient& r = dsn.recipients[0];
  EXPECT_EQ(r.final_recipient, "ghost@nosuch.test");
  EXPECT_EQ(r.original_recipient, "ghost@nosuch.test");
  EXPECT_EQ(r.action, "failed");
  EXPECT_EQ(r.status, "5.1.1");
  EXPECT_EQ(r.diagnostic, "mailbox unavailable");
  EXPECT_EQ(GroupFor(dsn, "Ghost@NoSuch.test"), &r);
  EXPECT_EQ(GroupFor(dsn, "other@nosuch.test"), nullptr);
}

TEST(ParseDsn, ReadsPostfixsBounceWithCrlfLineEnds) {
  std::string crlf;
  for (char c : std::string(kPostfixBounce)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const Dsn dsn = ParseDsn(crlf);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  EXPECT_EQ(dsn.recipients[0].status, "5.1.1");
  EXPECT_EQ(dsn.recipients[0].diagnostic, "mailbox unavailable");
}

// Exim 4 with its DSN support: a multipart/report (Exim's spec, chapter
// 48 "Message processing", and its bounce_message_file defaults).
const char kEximBounce[] =
    "Return-path: <>\r\n"
    "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\r\n"
    "To: bounces+j7t1796575200maaaaaaaaaaaaaaaa@example.com\r\n"
    "Subject: Mail delivery failed: returning message to sender\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    "boundary=1796575201-eximdsn-1804289383\r\n"
    "\r\n"
    "--1796575201-eximdsn-1804289383\r\n"
    "Content-type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This message was created automatically by mail delivery software.\r\n"
    "\r\n"
    "A message that you sent could not be delivered to one or more of its\r\n"
    "recipients. This is a permanent error. The following address(es) "
    "failed:\r\n"
    "\r\n"
    "  nobody@example.org\r\n"
    "    host mx.example.org [192.0.2.25]\r\n"
    "    SMTP error from remote mail server after RCPT TO:<nobody@example.org>:\r\n"
    "    550 5.1.1 <nobody@example.org>: Recipient address rejected\r\n"
    "\r\n"
    "--1796575201-eximdsn-1804289383\r\n"
    "Content-type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.org\r\n"
    "\r\n"
    "Action: failed\r\n"
    "Final-Recipient: rfc822;nobody@example.org\r\n"
    "Status: 5.0.0\r\n"
    "Remote-MTA: dns; mx.example.org\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient "
    "address rejected\r\n"
    "\r\n"
    "--1796575201-eximdsn-1804289383\r\n"
    "Content-type: message/rfc822\r\n"
    "\r\n"
    "Subject: Confirm your address\r\n"
    "\r\n"
    "--1796575201-eximdsn-1804289383--\r\n";

TEST(ParseDsn, ReadsEximsReportWithoutOriginalRecipient) {
  const Dsn dsn = ParseDsn(kEximBounce);
  ASSERT_EQ(dsn.kind, Dsn::Kind::kReport);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  const DsnRecipient* r = GroupFor(dsn, "nobody@example.org");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->action, "failed");
  EXPECT_EQ(r->status, "5.0.0");
  EXPECT_EQ(r->diagnostic,
            "550 5.1.1 <nobody@example.org>: Recipient address rejected");
}

// Microsoft 365 / Exchange Online's non-delivery report: its DSN part
// (learn.microsoft.com, "Email non-delivery reports and SMTP errors in
// Exchange Online": 5.1.10 RecipientNotFound), quoted boundary, the
// original recipient in another case than the final one.
const char kExchangeNdr[] =
    "From: Microsoft Outlook\r\n"
    " <postmaster@contoso.onmicrosoft.com>\r\n"
    "To: <bounces+j99t1796575200mbbbbbbbbbbbbbbbb@example.com>\r\n"
    "Subject: Undeliverable: Confirm your address\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"b_0a1b2c3d-4e5f\"\r\n"
    "MIME-Version: 1.0\r\n"
    "\r\n"
    "--b_0a1b2c3d-4e5f\r\n"
    "Content-Type: multipart/alternative; differences=Content-Type;\r\n"
    "\tboundary=\"b_inner\"\r\n"
    "\r\n"
    "--b_inner\r\n"
    "Content-Type: text/plain; charset=\"us-ascii\"\r\n"
    "\r\n"
    "Your message to Ann@Contoso.com couldn't be delivered.\r\n"
    "--b_inner--\r\n"
    "\r\n"
    "--b_0a1b2c3d-4e5f\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com\r\n"
    "Received-From-MTA: dns;mail.example.com\r\n"
    "Arrival-Date: Sun, 6 Dec 2026 16:40:00 +0000\r\n"
    "\r\n"
    "Original-Recipient: rfc822;Ann@Contoso.com\r\n"
    "Final-Recipient: rfc822;ann.smith@contoso.com\r\n"
    "Action: failed\r\n"
    "Status: 5.1.10\r\n"
    "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
    "Recipient not found by SMTP address lookup\r\n"
    "\r\n"
    "--b_0a1b2c3d-4e5f\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: Confirm your address\r\n"
    "\r\n"
    "--b_0a1b2c3d-4e5f--\r\n";

TEST(ParseDsn, TakesExchangesGroupByItsOriginalRecipient) {
  const Dsn dsn = ParseDsn(kExchangeNdr);
  ASSERT_EQ(dsn.kind, Dsn::Kind::kReport);
  const DsnRecipient* r = GroupFor(dsn, "ann@contoso.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, "5.1.10");
  EXPECT_EQ(r->diagnostic.rfind("550 5.1.10 RESOLVER.ADR.RecipientNotFound", 0),
            0u);
  // The Final-Recipient does not count when there is an Original-Recipient.
  EXPECT_EQ(GroupFor(dsn, "ann.smith@contoso.com"), nullptr);
}

// Sendmail 8's DSN for two recipients: one failed, one delayed.
const char kSendmailTwoGroups[] =
    "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>\n"
    "To: <bounces+j5t1796575200mcccccccccccccccc@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"wB6GeX1R012345.1796575201/relay.example.net\"\n"
    "Subject: Returned mail: see transcript for details\n"
    "Auto-Submitted: auto-generated (failure)\n"
    "\n"
    "--wB6GeX1R012345.1796575201/relay.example.net\n"
    "\n"
    "The original message was received at Sun, 6 Dec 2026 16:40:00\n"
    "\n"
    "--wB6GeX1R012345.1796575201/relay.example.net\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; relay.example.net\n"
    "Received-From-MTA: DNS; mail.example.com\n"
    "Arrival-Date: Sun, 6 Dec 2026 16:40:00 GMT\n"
    "\n"
    "Final-Recipient: RFC822; carl@example.net\n"
    "Action: delayed\n"
    "Status: 4.4.1\n"
    "Will-Retry-Until: Fri, 11 Dec 2026 16:40:00 GMT\n"
    "\n"
    "Final-Recipient: RFC822; <dora@example.net>\n"
    "X-Actual-Recipient: RFC822; dora@example.net\n"
    "Action: failed\n"
    "Status: 5.2.1\n"
    "Diagnostic-Code: SMTP; 550 5.2.1 Mailbox disabled\n"
    "Last-Attempt-Date: Sun, 6 Dec 2026 16:40:01 GMT\n"
    "\n"
    "--wB6GeX1R012345.1796575201/relay.example.net--\n";

TEST(ParseDsn, ReadsEveryRecipientGroupOfSendmailsReport) {
  const Dsn dsn = ParseDsn(kSendmailTwoGroups);
  ASSERT_EQ(dsn.recipients.size(), 2u);
  const DsnRecipient* carl = GroupFor(dsn, "carl@example.net");
  const DsnRecipient* dora = GroupFor(dsn, "dora@example.net");
  ASSERT_NE(carl, nullptr);
  ASSERT_NE(dora, nullptr);
  EXPECT_EQ(carl->action, "delayed");
  EXPECT_EQ(carl->status, "4.4.1");
  EXPECT_EQ(dora->action, "failed");
  EXPECT_EQ(dora->status, "5.2.1");
  EXPECT_EQ(dora->diagnostic, "550 5.2.1 Mailbox disabled");
}

TEST(ParseDsn, ReadsAGlobalDeliveryStatusInBase64) {
  // RFC 6533: message/global-delivery-status, a UTF-8 address ("utf-8"
  // type), here base64-encoded.
  const std::string report =
      "Reporting-MTA: dns; mx.example.de\r\n\r\n"
      "Original-Recipient: utf-8; j\xC3\xB6rg@example.de\r\n"
      "Final-Recipient: utf-8; j\xC3\xB6rg@example.de\r\n"
      "Action: failed\r\nStatus: 5.1.1\r\n";
  // base64 of "report", made here to keep the test readable.
  static const char kB64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < report.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(report[i]) << 16;
    if (i + 1 < report.size()) v |= static_cast<unsigned char>(report[i + 1]) << 8;
    if (i + 2 < report.size()) v |= static_cast<unsigned char>(report[i + 2]);
    b64 += kB64[(v >> 18) & 63];
    b64 += kB64[(v >> 12) & 63];
    b64 += i + 1 < report.size() ? kB64[(v >> 6) & 63] : '=';
    b64 += i + 2 < report.size() ? kB64[v & 63] : '=';
    if (b64.size() % 76 == 0) b64 += "\r\n";
  }
  const std::string message =
      "Content-Type: multipart/report; report-type=global-delivery-status; "
      "boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
      "--XX\r\nContent-Type: message/global-delivery-status\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      b64 + "\r\n--XX--\r\n";
  const Dsn dsn = ParseDsn(message);
  ASSERT_EQ(dsn.kind, Dsn::Kind::kReport);
  const DsnRecipient* r = GroupFor(dsn, "j\xC3\xB6rg@example.de");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, "5.1.1");
  EXPECT_EQ(r->action, "failed");
}

TEST(ParseDsn, AnAutoReplyIsNoReport) {
  const Dsn dsn = ParseDsn(
      "From: Ann <ann@example.com>\nSubject: Out of office\n"
      "Auto-Submitted: auto-replied (vacation)\n\nBack on Monday.\n");
  EXPECT_EQ(dsn.kind, Dsn::Kind::kAutoReply);
  EXPECT_TRUE(dsn.recipients.empty());
}

TEST(ParseDsn, AReportInsideAReturnedMessageDoesNotCount) {
  // A forged report quoted inside a message/rfc822 part is not ours.
  const Dsn dsn = ParseDsn(
      "Content-Type: multipart/mixed; boundary=OUT\n\n--OUT\n"
      "Content-Type: message/rfc822\n\n"
      "Content-Type: multipart/report; boundary=IN\n\n--IN\n"
      "Content-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.c\n"
      "Action: failed\nStatus: 5.1.1\n\n--IN--\n--OUT--\n");
  EXPECT_EQ(dsn.kind, Dsn::Kind::kOther);
  EXPECT_TRUE(dsn.recipients.empty());
}

TEST(ParseDsn, PlainMailAndGarbageAreNoReport) {
  EXPECT_EQ(ParseDsn("").kind, Dsn::Kind::kOther);
  EXPECT_EQ(ParseDsn("Subject: hi\n\nhello\n").kind, Dsn::Kind::kOther);
  EXPECT_EQ(ParseDsn("Content-Type: multipart/report\n\n--\n").kind,
            Dsn::Kind::kOther);
}

TEST(ParseDsn, AMalformedStatusIsEmpty) {
  const Dsn dsn = ParseDsn(
      "Content-Type: multipart/report; boundary=B\n\n--B\n"
      "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
      "Final-Recipient: rfc822; a@b.c\nAction: failed\nStatus: 5.1\n\n--B--\n");
  ASSERT_EQ(dsn.recipients.size(), 1u);
  EXPECT_EQ(dsn.recipients[0].status, "");
}

}  // namespace
}  // namespace reg
