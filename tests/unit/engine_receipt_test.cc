// Receipts on both engines (engine_fixture.h): stored with the mail they
// name in the registration's or the resend's transaction, and what
// Store::Receipt says of that mail as the outbox moves it (CONTRACT
// section 8).
#include "crypto/token.h"
#include "engine_fixture.h"

namespace reg {
namespace {

using EngineReceiptTest = EngineTest;

// Store::Receipt of the answer of "token"'s request; a failure if none.
ReceiptStatus MustReceipt(Store& store, const std::string& token) {
  Result<ReceiptStatus> r = store.Receipt(ReceiptHashOf(token));
  EXPECT_OK(r);
  return r.ok() ? r.value() : ReceiptStatus();
}

TEST_P(EngineReceiptTest, AReceiptFollowsItsMailFromQueuedToAccepted) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  const std::int64_t at = clock_.NowMs() / 1000;
  ReceiptStatus s = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(s.state, "queued");
  EXPECT_EQ(s.since_s, at);
  EXPECT_EQ(s.detail, "");
  EXPECT_EQ(s.retry_at_s, 0);

  clock_.AdvanceMs(2 * kSecond);
  const std::int64_t id = Jobs()[0].id;
  ClaimedJob job = MustClaim(id);
  EXPECT_EQ(MustReceipt(*store_, "tok-1").state, "sending");

  clock_.AdvanceMs(kSecond);
  ASSERT_OK(outbox_->MarkSent(job, "250 2.0.0 Ok: queued as 4B1F\x01"));
  s = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(s.state, "accepted");
  EXPECT_EQ(s.since_s, clock_.NowMs() / 1000);
  EXPECT_EQ(s.reply, "250 2.0.0 Ok: queued as 4B1F");  // printable only
  EXPECT_EQ(Totals().receipts, 1);
}

TEST_P(EngineReceiptTest, ARetryShowsDelayedWithItsTimeAndARefusalItsCode) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  const std::int64_t id = Jobs()[0].id;
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkRetry(job, "451 4.3.0 try later", RetryReason::k4xx));
  ReceiptStatus s = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(s.state, "delayed");
  EXPECT_EQ(s.retry_at_s, Row(id).next_attempt_ms / 1000);
  EXPECT_EQ(s.reply, "451 4.3.0 try later");

  clock_.AdvanceMs(kHour);
  job = MustClaim(id);
  ASSERT_OK(outbox_->MarkFailed(job, "550 5.1.1 <ann@example.com>: no such user"));
  s = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(s.state, "refused");
  EXPECT_EQ(s.detail, "5.1.1");
  EXPECT_EQ(s.since_s, clock_.NowMs() / 1000);
  EXPECT_EQ(s.reply, "550 5.1.1 <ann@example.com>: no such user");
}

TEST_P(EngineReceiptTest, ATransportErrorIsNotShownAsTheServersWords) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ClaimedJob job = MustClaim(Jobs()[0].id);
  ASSERT_OK(outbox_->MarkRetry(job, "connect: Connection refused",
                               RetryReason::kConnect));
  ReceiptStatus s = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(s.state, "delayed");
  EXPECT_EQ(s.reply, "");
}

TEST_P(EngineReceiptTest, ACappedRequestsReceiptSaysNotSentUntilAnHourLater) {
  limits_.mail_cap = 1;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(kMinute);
  Result<RegisterOutcome> capped = Register("ann@example.com", "h", "tok-2");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().job_id, 0);
  ReceiptStatus s = MustReceipt(*store_, "tok-2");
  EXPECT_EQ(s.state, "not_sent");
  EXPECT_EQ(s.detail, "mail_cap");
  EXPECT_EQ(s.since_s, clock_.NowMs() / 1000);
  EXPECT_EQ(s.retry_at_s, clock_.NowMs() / 1000 + 3600);
  // A resend past the cap gets one too.
  ASSERT_OK(Resend("ann@example.com", "tok-3"));
  EXPECT_EQ(MustReceipt(*store_, "tok-3").state, "not_sent");
  EXPECT_EQ(Totals().receipts, 3);
}

TEST_P(EngineReceiptTest, OnlyARegistrationsOwnReceiptSaysVerified) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Resend("ann@example.com", "tok-2"));
  SendAll();
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), std::nullopt));
  ReceiptStatus own = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(own.state, "verified");
  EXPECT_EQ(own.since_s, clock_.NowMs() / 1000);
  // The resend's receipt names a mail, never the account.
  EXPECT_EQ(MustReceipt(*store_, "tok-2").state, "accepted");
}

// An unknown address's receipt names its "no account" mail and follows it
// like any other (it stayed "queued" for good when nothing was sent).
TEST_P(EngineReceiptTest, AResendToAnUnknownAddressFollowsItsNoAccountMail) {
  ASSERT_OK(Resend("nobody@example.com", "tok-1"));
  EXPECT_EQ(MustReceipt(*store_, "tok-1").state, "queued");
  EXPECT_EQ(Totals().receipts, 1);
  ASSERT_EQ(Jobs().size(), 1u);
  ClaimedJob job = MustClaim(Jobs()[0].id);
  EXPECT_EQ(MustReceipt(*store_, "tok-1").state, "sending");
  clock_.AdvanceMs(kSecond);
  ASSERT_OK(outbox_->MarkSent(job, "250 2.0.0 Ok"));
  const ReceiptStatus s = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(s.state, "accepted");
  EXPECT_EQ(s.since_s, clock_.NowMs() / 1000);
  EXPECT_EQ(s.reply, "250 2.0.0 Ok");
}

TEST_P(EngineReceiptTest, AnUnknownOrExpiredReceiptIsNotFound) {
  EXPECT_EQ(store_->Receipt(ReceiptHashOf("nothing")).status().code(),
            Code::kNotFound);
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(limits_.token_ttl_ms - 1);
  ASSERT_OK(store_->Receipt(ReceiptHashOf("tok-1")));
  clock_.AdvanceMs(1);
  EXPECT_EQ(store_->Receipt(ReceiptHashOf("tok-1")).status().code(),
            Code::kNotFound);
}

TEST_P(EngineReceiptTest, RetentionForgetsExpiredReceiptsAndKeepsTheirCount) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(kHour);
  ASSERT_OK(Register("bob@example.com", "h", "tok-2"));
  clock_.AdvanceMs(limits_.token_ttl_ms - kHour);
  Result<RetentionResult> swept = store_->ApplyRetention(RetentionPolicy());
  ASSERT_OK(swept);
  EXPECT_EQ(swept.value().receipts, 1);  // ann's, not bob's yet
  ASSERT_OK(store_->Receipt(ReceiptHashOf("tok-2")));
  EXPECT_EQ(Totals().receipts, 2);
}

INSTANTIATE_ENGINES(EngineReceiptTest);

}  // namespace
}  // namespace reg
