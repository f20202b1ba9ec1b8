// Receipts on both engines (engine_fixture.h): stored with the mail they
// name in the registration's or the resend's transaction, and what
// Store::Receipt says of that mail as the outbox moves it (CONTRACT
// section 8).
#include <set>
#include <utility>

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

// A resend's link verifies the registration it was minted for: that
// registration's own receipt says so, whichever of its links was used.
TEST_P(EngineReceiptTest, AResendsLinkMarksTheReceiptOfItsRegistration) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Resend("ann@example.com", "tok-2"));
  SendAll();
  ASSERT_OK(store_->Activate(TokenHash("tok-2"), std::nullopt));
  const ReceiptStatus own = MustReceipt(*store_, "tok-1");
  EXPECT_EQ(own.state, "verified");
  EXPECT_EQ(own.since_s, clock_.NowMs() / 1000);
  EXPECT_EQ(MustReceipt(*store_, "tok-2").state, "accepted");
}

// Two registrations of one address: a link marks its own registration's
// receipt, never the other's (a stranger's stays a stranger's).
TEST_P(EngineReceiptTest, ALinkMarksOnlyItsOwnRegistrationsReceipt) {
  ASSERT_OK(Register("ann@example.com", "h1", "tok-1"));
  clock_.AdvanceMs(kMinute);
  ASSERT_OK(Register("ann@example.com", "h2", "tok-2"));
  SendAll();
  ASSERT_OK(store_->Activate(TokenHash("tok-2"), std::nullopt));
  EXPECT_EQ(MustReceipt(*store_, "tok-2").state, "verified");
  EXPECT_EQ(MustReceipt(*store_, "tok-1").state, "accepted");
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

// sql/010_status_rows.sql and sql/postgres/008_status_rows.sql: a job's
// last change moved from its history onto its row, a registration's
// verification onto its receipt. A database from before (the columns
// dropped, the version before) answers every receipt as it did, each
// "since" taken from the history the migration read, and a link mailed
// before it marks its receipt verified when it is used after.
TEST_P(EngineReceiptTest, ADatabaseFromBeforeStatusRowsAnswersTheSame) {
  std::vector<std::string> tokens;
  auto job_of = [&](const std::string& email, const std::string& token) {
    Result<RegisterOutcome> r = Register(email, "h", token);
    EXPECT_OK(r);
    tokens.push_back(token);
    return r.ok() ? r.value().job_id : 0;
  };
  auto later = [&] { clock_.AdvanceMs(7 * kSecond); };
  // Claimed by a sweep while it is the only job due, and kept sending.
  const std::int64_t swept = job_of("swept@example.com", "tok-swept");
  later();
  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  later();
  job_of("queued@example.com", "tok-queued");
  const std::int64_t lost = job_of("lost@example.com", "tok-lost");
  const std::int64_t sending = job_of("sending@example.com", "tok-sending");
  const std::int64_t retry = job_of("retry@example.com", "tok-retry");
  const std::int64_t sent = job_of("sent@example.com", "tok-sent");
  const std::int64_t refused = job_of("refused@example.com", "tok-refused");
  const std::int64_t requeued = job_of("requeued@example.com", "tok-requeued");
  const std::int64_t bounced = job_of("bounced@example.com", "tok-bounced");
  const std::int64_t late = job_of("late@example.com", "tok-late");
  const std::int64_t verified = job_of("verified@example.com", "tok-verified");
  const std::int64_t pending = job_of("pending@example.com", "tok-pending");

  later();
  MustClaim(lost);
  later();
  Result<int> released = outbox_->ReleaseLostClaims({swept});
  ASSERT_OK(released);
  EXPECT_EQ(released.value(), 1);
  later();
  ASSERT_OK(outbox_->MarkRetry(MustClaim(retry), "451 4.3.0 later",
                               RetryReason::k4xx));
  later();
  ASSERT_OK(outbox_->MarkSent(MustClaim(sent), "250 2.0.0 Ok"));
  later();
  ASSERT_OK(outbox_->MarkFailed(MustClaim(refused), "550 5.7.1 no"));
  later();
  ASSERT_OK(outbox_->MarkFailed(MustClaim(requeued), "554 5.0.0 no"));
  later();
  ASSERT_OK(outbox_->RequeueJob(requeued));
  for (std::int64_t id : {bounced, late, verified, pending}) {
    later();
    ASSERT_OK(outbox_->MarkSent(MustClaim(id), "250 2.0.0 Ok"));
  }
  for (const auto& [id, action] : {std::pair{bounced, "failed"},
                                   std::pair{late, "delayed"}}) {
    later();
    Notification n;
    n.job_id = id;
    n.created_s = Row(id).created_ms / 1000;
    n.rcpt = Row(id).rcpt;
    n.action = action;
    n.status = "5.1.1";
    ASSERT_OK(store_->RecordNotification(n, kHour));
  }
  later();
  ASSERT_OK(store_->Activate(TokenHash("tok-verified"), std::nullopt));
  later();
  job_of("bounced@example.com", "tok-suppressed");  // not_sent
  later();
  MustClaim(sending);
  later();

  std::vector<ReceiptStatus> before;
  for (const std::string& token : tokens) {
    before.push_back(MustReceipt(*store_, token));
  }
  ReopenAfter(
      "ALTER TABLE outbox DROP COLUMN changed_ms; "
      "ALTER TABLE receipts DROP COLUMN verified_ms; "
      "ALTER TABLE tokens DROP COLUMN receipt; PRAGMA user_version = 9",
      "ALTER TABLE outbox DROP COLUMN changed_ms; "
      "ALTER TABLE receipts DROP COLUMN verified_ms; "
      "ALTER TABLE tokens DROP COLUMN receipt; "
      "DELETE FROM schema_version WHERE version = 8");
  ASSERT_NE(store_, nullptr);
  std::set<std::string> states;
  for (std::size_t i = 0; i < tokens.size(); i++) {
    const ReceiptStatus was = before[i];
    const ReceiptStatus now = MustReceipt(*store_, tokens[i]);
    states.insert(was.state);
    EXPECT_EQ(now.state, was.state) << tokens[i];
    EXPECT_EQ(now.since_s, was.since_s) << tokens[i] << " " << was.state;
    EXPECT_EQ(now.detail, was.detail) << tokens[i];
    EXPECT_EQ(now.retry_at_s, was.retry_at_s) << tokens[i];
    EXPECT_EQ(now.reply, was.reply) << tokens[i];
    EXPECT_EQ(now.takes_code, was.takes_code) << tokens[i];
  }
  EXPECT_EQ(states, (std::set<std::string>{"queued", "sending", "delayed",
                                           "accepted", "refused", "bounced",
                                           "not_sent", "verified"}));

  later();
  ASSERT_OK(store_->Activate(TokenHash("tok-pending"), std::nullopt));
  const ReceiptStatus s = MustReceipt(*store_, "tok-pending");
  EXPECT_EQ(s.state, "verified");
  EXPECT_EQ(s.since_s, clock_.NowMs() / 1000);
}

INSTANTIATE_ENGINES(EngineReceiptTest);

}  // namespace
}  // namespace reg
