#include "delivery/deliver.h"

#include <gtest/gtest.h>

#include <chrono>

#include "delivery_fixture.h"

namespace reg {
namespace {

using std::chrono::milliseconds;

// An Outbox whose outcome writes find the database unavailable for the
// first "failures" calls (all of them when negative); everything else goes
// to the real one.
class UnavailableOutbox : public Outbox {
 public:
  UnavailableOutbox(Outbox* real, int failures)
      : real_(real), failures_(failures) {}
  int outcome_calls() const { return calls_; }

  Result<JobState> State(std::int64_t id) override { return real_->State(id); }
  Result<ClaimOutcome> Claim(std::int64_t id) override {
    return real_->Claim(id);
  }
  Result<std::vector<ClaimedJob>> ClaimDue(int limit) override {
    return real_->ClaimDue(limit);
  }
  Result<std::vector<ClaimRef>> Renew(
      const std::vector<ClaimRef>& claims) override {
    return real_->Renew(claims);
  }
  Result<int> ReleaseLostClaims(
      const std::vector<std::int64_t>& sending) override {
    return real_->ReleaseLostClaims(sending);
  }
  Status MarkSent(const ClaimedJob& job, std::string_view reply) override {
    if (Down()) return Status::Unavailable("database is down");
    return real_->MarkSent(job, reply);
  }
  Status MarkRetry(const ClaimedJob& job, std::string_view reply,
                   RetryReason reason) override {
    if (Down()) return Status::Unavailable("database is down");
    return real_->MarkRetry(job, reply, reason);
  }
  Status MarkFailed(const ClaimedJob& job, std::string_view reply) override {
    if (Down()) return Status::Unavailable("database is down");
    return real_->MarkFailed(job, reply);
  }
  Status MarkRefused(const ClaimedJob& job, std::string_view reply) override {
    if (Down()) return Status::Unavailable("database is down");
    return real_->MarkRefused(job, reply);
  }
  Result<OutboxStats> Stats() override { return real_->Stats(); }
  Result<std::vector<JobRow>> ListJobs(const std::string& state,
                                       int limit) override {
    return real_->ListJobs(state, limit);
  }
  Result<JobRow> GetJob(std::int64_t id,
                        std::vector<JobEvent>* events) override {
    return real_->GetJob(id, events);
  }
  Status RequeueJob(std::int64_t id) override { return real_->RequeueJob(id); }

 private:
  bool Down() { return calls_++ < failures_ || failures_ < 0; }

  Outbox* real_;
  int failures_;
  int calls_ = 0;
};

class DeliverTest : public DeliveryFixture {
 protected:
  // Delivers "job" with the fake senders; the outcome, or kUnavailable's
  // Status as Deliver gives it.
  Result<SendResult::Outcome> Send(const ClaimedJob& job,
                                   Outbox* outbox = nullptr) {
    return Deliver(job, outbox != nullptr ? outbox : outbox_.get(),
                   {&mailer_, webhooks_ ? &webhook_ : nullptr}, sealer_,
                   milliseconds(0));
  }

  FakeMailer mailer_{&mail_};
  FakeWebhook webhook_{&hooks_};
  bool webhooks_ = true;  // false: as without WEBHOOK_URL
};

TEST_F(DeliverTest, AnAcceptedMailIsSentAndKeepsTheServersReply) {
  const std::int64_t id = QueueMail("ann@example.com");
  Result<SendResult::Outcome> out = Send(MustClaim(id));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kSent);
  EXPECT_EQ(mail_.seen(), std::vector<std::string>{"ann@example.com"});
  EXPECT_EQ(State(id), "sent");
  EXPECT_EQ(LastReply(id), "250 2.0.0 Ok: queued");
}

TEST_F(DeliverTest, A4xxQueuesTheJobAgainAfterTheRetryDelay) {
  const std::int64_t id = QueueMail("ann@example.com");
  mail_.Script({Answer::k4xx});
  Result<SendResult::Outcome> out = Send(MustClaim(id));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kRetry);
  EXPECT_EQ(State(id), "queued");
  EXPECT_EQ(NextAttemptMs(id), clock_.NowMs() + kRetryMs);
  EXPECT_EQ(LastReply(id), "451 4.3.0 try again later");
  EXPECT_EQ(LastRetryReason(id), "4xx");
}

TEST_F(DeliverTest, EachTimeoutDoublesTheDelayBeforeTheNextAttempt) {
  const std::int64_t id = QueueMail("ann@example.com");
  mail_.Script({Answer::kTimeout, Answer::kTimeout});
  ASSERT_OK(Send(MustClaim(id)));
  EXPECT_EQ(NextAttemptMs(id), clock_.NowMs() + kRetryMs);
  clock_.AdvanceMs(kRetryMs);
  ASSERT_OK(Send(MustClaim(id)));
  EXPECT_EQ(State(id), "queued");
  EXPECT_EQ(Attempts(id), 2);
  EXPECT_EQ(NextAttemptMs(id), clock_.NowMs() + 2 * kRetryMs);
  EXPECT_EQ(LastRetryReason(id), "timeout");
}

TEST_F(DeliverTest, A5xxFailsTheJobForGoodWithTheReply) {
  const std::int64_t id = QueueMail("nobody@example.com");
  mail_.Script({Answer::k5xx});
  Result<SendResult::Outcome> out = Send(MustClaim(id));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kPermanent);
  EXPECT_EQ(State(id), "failed");
  EXPECT_EQ(LastReply(id), "550 5.1.1 no such user");
  EXPECT_EQ(LastRetryReason(id), "");
}

TEST_F(DeliverTest, AnOutcomeUnderALostClaimChangesNothing) {
  const std::int64_t id = QueueMail("ann@example.com");
  const ClaimedJob lost = MustClaim(id);
  clock_.AdvanceMs(kLeaseMs + 1);  // the lease runs out: another claim
  const ClaimedJob now_held = MustClaim(id);
  mail_.Script({Answer::k5xx});
  ASSERT_OK(Send(lost));  // refused for good, but under the old claim
  EXPECT_EQ(State(id), "sending");
  EXPECT_EQ(Attempts(id), now_held.attempts);
  EXPECT_EQ(LastReply(id), "");
  ASSERT_OK(Send(now_held));
  EXPECT_EQ(State(id), "sent");
}

TEST_F(DeliverTest, AMessageSealedUnderAnotherKeyFailsWithoutASend) {
  const std::int64_t id = QueueMail("ann@example.com");
  Result<Sealer> other = Sealer::Create("another secret");
  ASSERT_OK(other);
  ClaimedJob job = MustClaim(id);
  Result<std::string> sealed = other.value().Seal("Subject: x\r\n");
  ASSERT_OK(sealed);
  job.sealed = sealed.value();
  Result<SendResult::Outcome> out = Send(job);
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kPermanent);
  EXPECT_EQ(mail_.sends(), 0);
  EXPECT_EQ(State(id), "failed");
}

TEST_F(DeliverTest, AnEventGoesToTheWebhookNotTheMailer) {
  const std::int64_t id = QueueEvent("ann@example.com");
  ASSERT_NE(id, 0);
  Result<SendResult::Outcome> out = Send(MustClaim(id));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kSent);
  EXPECT_EQ(mail_.sends(), 0);
  EXPECT_EQ(hooks_.sends(), 1);
  EXPECT_EQ(State(id), "sent");
  EXPECT_EQ(LastReply(id), "HTTP 204");
}

TEST_F(DeliverTest, AnEventAnswered500IsRetriedNeverFailed) {
  const std::int64_t id = QueueEvent("ann@example.com");
  hooks_.Script({Answer::k5xx});
  Result<SendResult::Outcome> out = Send(MustClaim(id));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kRetry);
  EXPECT_EQ(State(id), "queued");
  EXPECT_EQ(LastReply(id), "HTTP 500");
  EXPECT_EQ(LastRetryReason(id), "status");
}

TEST_F(DeliverTest, AnEventWaitsRetriedWhileNoWebhookIsConfigured) {
  const std::int64_t id = QueueEvent("ann@example.com");
  webhooks_ = false;
  Result<SendResult::Outcome> out = Send(MustClaim(id));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kRetry);
  EXPECT_EQ(State(id), "queued");
  EXPECT_EQ(LastReply(id), "WEBHOOK_URL is not set");
  EXPECT_EQ(LastRetryReason(id), "config");
}

TEST_F(DeliverTest, KeepsTryingToRecordTheOutcomeWhileTheDatabaseIsDown) {
  const std::int64_t id = QueueMail("ann@example.com");
  UnavailableOutbox down(outbox_.get(), /*failures=*/2);
  Result<SendResult::Outcome> out =
      Deliver(MustClaim(id), &down, {&mailer_, nullptr}, sealer_,
              /*keep_trying=*/milliseconds(5000), /*every=*/milliseconds(1));
  ASSERT_OK(out);
  EXPECT_EQ(out.value(), SendResult::Outcome::kSent);
  EXPECT_EQ(mail_.sends(), 1);  // the mail went once; its record thrice
  EXPECT_EQ(down.outcome_calls(), 3);
  EXPECT_EQ(State(id), "sent");
}

TEST_F(DeliverTest, GivesUpRecordingAfterKeepTryingAndLeavesTheClaimToRunOut) {
  const std::int64_t id = QueueMail("ann@example.com");
  UnavailableOutbox down(outbox_.get(), /*failures=*/-1);
  Result<SendResult::Outcome> out =
      Deliver(MustClaim(id), &down, {&mailer_, nullptr}, sealer_,
              /*keep_trying=*/milliseconds(20), /*every=*/milliseconds(1));
  EXPECT_EQ(out.status().code(), Code::kUnavailable);
  EXPECT_GT(down.outcome_calls(), 1);
  EXPECT_EQ(State(id), "sending");
}

}  // namespace
}  // namespace reg
