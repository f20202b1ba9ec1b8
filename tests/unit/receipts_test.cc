// The engine-neutral receipt policy (storage/receipts.h): the status a
// receipt's facts show, and the words of an SMTP reply it may show.
#include "storage/receipts.h"

#include <gtest/gtest.h>

namespace reg {
namespace {

TEST(ReplyStatusCode, TakesTheEnhancedCodeElseTheBasicOne) {
  EXPECT_EQ(ReplyStatusCode("550 5.1.1 <a@b.c>: Recipient address rejected"),
            "5.1.1");
  EXPECT_EQ(ReplyStatusCode("554-5.7.1 Relay access denied"), "5.7.1");
  EXPECT_EQ(ReplyStatusCode("550 Mailbox unavailable"), "550");
  EXPECT_EQ(ReplyStatusCode("550 4.1.1 mismatched class"), "550");
  EXPECT_EQ(ReplyStatusCode("552 5.3.1234 too many digits"), "552");
  EXPECT_EQ(ReplyStatusCode("connect: Connection refused"), "");
  EXPECT_EQ(ReplyStatusCode(""), "");
}

TEST(ServerWords, KeepsAServerReplyPrintableAndShort) {
  EXPECT_EQ(ServerWords("250 2.0.0 Ok\r\n"), "250 2.0.0 Ok");
  EXPECT_EQ(ServerWords("250 caf\xc3\xa9<b>"), "250 caf<b>");
  EXPECT_EQ(ServerWords("250 " + std::string(300, 'x')).size(), 200u);
  EXPECT_EQ(ServerWords("timeout after 15 s"), "");
}

TEST(ReceiptStatusOf, NotSentComesBeforeAnyMailAndVerifiedBeforeAll) {
  ReceiptFacts f;
  f.created_ms = 1000 * 1000;
  f.not_sent = NotSent::kMailCap;
  ReceiptStatus s = ReceiptStatusOf(f);
  EXPECT_EQ(s.state, "not_sent");
  EXPECT_EQ(s.detail, "mail_cap");
  EXPECT_EQ(s.retry_at_s, 1000 + 3600);
  f.not_sent = NotSent::kSuppressed;
  s = ReceiptStatusOf(f);
  EXPECT_EQ(s.detail, "suppressed");
  EXPECT_EQ(s.retry_at_s, 0);

  f.not_sent = NotSent::kNo;
  f.job_id = 7;
  f.job_state = "sent";
  f.sent_ms = 2000 * 1000;
  f.verified_ms = 3000 * 1000;
  s = ReceiptStatusOf(f);
  EXPECT_EQ(s.state, "verified");
  EXPECT_EQ(s.since_s, 3000);
  EXPECT_TRUE(IsFinalReceiptState(s.state));
}

TEST(ReceiptStatusOf, AMailTheDomainCapDelayedIsDelayedUntilItsTime) {
  ReceiptFacts f;
  f.own = true;
  f.created_ms = 1000 * 1000;
  f.job_id = 7;
  f.job_state = "queued";
  f.next_attempt_ms = 4600 * 1000;
  f.delayed_until_ms = 4600 * 1000;
  ReceiptStatus s = ReceiptStatusOf(f);
  EXPECT_EQ(s.state, "delayed");
  EXPECT_EQ(s.detail, "mail_cap");
  EXPECT_EQ(s.since_s, 1000);
  EXPECT_EQ(s.retry_at_s, 4600);
  EXPECT_EQ(s.reply, "");
  EXPECT_FALSE(IsFinalReceiptState(s.state));
  // Once claimed it is the mail's own story again.
  f.job_state = "sending";
  f.attempts = 1;
  EXPECT_EQ(ReceiptStatusOf(f).state, "sending");
  f.job_state = "queued";
  f.last_reply = "451 4.3.0 try later";
  f.next_attempt_ms = 4700 * 1000;
  s = ReceiptStatusOf(f);
  EXPECT_EQ(s.state, "delayed");
  EXPECT_EQ(s.detail, "");
  EXPECT_EQ(s.retry_at_s, 4700);
}

TEST(ReceiptStatusOf, ABounceOutranksTheServersAcceptance) {
  ReceiptFacts f;
  f.job_id = 7;
  f.job_state = "sent";
  f.last_reply = "250 ok";
  f.bounce_status = "5.1.1";
  f.bounced_ms = 5000 * 1000;
  ReceiptStatus s = ReceiptStatusOf(f);
  EXPECT_EQ(s.state, "bounced");
  EXPECT_EQ(s.detail, "5.1.1");
  EXPECT_EQ(s.since_s, 5000);
  EXPECT_TRUE(IsFinalReceiptState("bounced"));
  EXPECT_FALSE(IsFinalReceiptState("accepted"));
}

}  // namespace
}  // namespace reg
