// The Outbox on both engines (engine_fixture.h): claims, leases and
// sweeps. Outcomes, metrics and regctl's view: engine_outcome_test.cc.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "engine_fixture.h"

namespace reg {
namespace {

using EngineOutboxTest = EngineTest;

TEST(JobState, NamesMatchTheSchema) {
  EXPECT_STREQ(JobStateName(JobState::kQueued), "queued");
  EXPECT_STREQ(JobStateName(JobState::kSending), "sending");
  EXPECT_STREQ(JobStateName(JobState::kSent), "sent");
  EXPECT_STREQ(JobStateName(JobState::kFailed), "failed");
}

TEST(OutboxPolicy, RetryDelayDoublesFromRetryMsUpToTheCap) {
  const OutboxPolicy policy{120 * kSecond, 30 * kSecond, 3600 * kSecond,
                            48 * kHour, "test"};
  const std::int64_t expected_s[] = {30, 60, 120, 240, 480, 960, 1920, 3600};
  for (int attempts = 1; attempts <= 8; attempts++) {
    EXPECT_EQ(RetryDelayMs(policy, attempts),
              expected_s[attempts - 1] * kSecond)
        << "after " << attempts << " attempts";
  }
  EXPECT_EQ(RetryDelayMs(policy, 9), 3600 * kSecond);
  EXPECT_EQ(RetryDelayMs(policy, 1000), 3600 * kSecond);
}

// --- Claim -------------------------------------------------------------------

TEST_P(EngineOutboxTest, AQueuedJobIsClaimedOnceAndThenFoundSending) {
  const std::int64_t created = clock_.NowMs();
  const std::int64_t id = Queue("ann@example.com");
  ASSERT_GT(id, 0);

  Result<ClaimOutcome> first = outbox_->Claim(id);
  ASSERT_OK(first);
  EXPECT_EQ(first.value().state, JobState::kQueued);
  ASSERT_TRUE(first.value().job.has_value());
  const ClaimedJob& job = *first.value().job;
  EXPECT_EQ(job.id, id);
  EXPECT_EQ(job.rcpt, "ann@example.com");
  EXPECT_EQ(job.sealed, mails_.verify.sealed);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.created_ms, created);
  EXPECT_EQ(Row(id).state, "sending");
  EXPECT_EQ(Row(id).claimed_by, policy_.claimant);

  Result<ClaimOutcome> second = outbox_->Claim(id);
  ASSERT_OK(second);
  EXPECT_EQ(second.value().state, JobState::kSending);
  EXPECT_FALSE(second.value().job.has_value());
  EXPECT_EQ(Row(id).attempts, 1);
}

TEST_P(EngineOutboxTest, ASentJobIsNotClaimedAgain) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkSent(job, "250 ok"));
  Result<ClaimOutcome> again = outbox_->Claim(id);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().state, JobState::kSent);
  EXPECT_FALSE(again.value().job.has_value());
}

TEST_P(EngineOutboxTest, ClaimingAnUnknownJobIsNotFound) {
  Result<ClaimOutcome> c = outbox_->Claim(4242);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
}

// --- Leases ------------------------------------------------------------------

TEST_P(EngineOutboxTest, JobClaimedByADeadProcessIsClaimedAgainAfterItsLease) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob dead = MustClaim(id);

  clock_.AdvanceMs(policy_.lease_ms - 1);
  Result<ClaimOutcome> early = outbox_->Claim(id);
  ASSERT_OK(early);
  EXPECT_FALSE(early.value().job.has_value());
  EXPECT_EQ(early.value().state, JobState::kSending);

  clock_.AdvanceMs(1);
  Result<ClaimOutcome> retaken = outbox_->Claim(id);
  ASSERT_OK(retaken);
  ASSERT_TRUE(retaken.value().job.has_value());
  EXPECT_EQ(retaken.value().job->attempts, 2);
  // The new claim holds a whole lease from now.
  clock_.AdvanceMs(policy_.lease_ms - 1);
  Result<ClaimOutcome> held = outbox_->Claim(id);
  ASSERT_OK(held);
  EXPECT_FALSE(held.value().job.has_value());
  clock_.AdvanceMs(1);
  EXPECT_EQ(MustClaim(id).attempts, 3);
}

TEST_P(EngineOutboxTest, ASweepTakesAJobWhoseLeaseRanOut) {
  const std::int64_t id = Queue("ann@example.com");
  MustClaim(id);
  clock_.AdvanceMs(policy_.lease_ms - 1);
  Result<std::vector<ClaimedJob>> none = outbox_->ClaimDue(10);
  ASSERT_OK(none);
  EXPECT_TRUE(none.value().empty());
  clock_.AdvanceMs(1);
  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].id, id);
  EXPECT_EQ(due.value()[0].attempts, 2);
}

TEST_P(EngineOutboxTest, AnOutcomeReportedUnderALostClaimChangesNothing) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob old_claim = MustClaim(id);
  clock_.AdvanceMs(policy_.lease_ms + 1);
  ClaimedJob new_claim = MustClaim(id);
  ASSERT_NE(old_claim.attempts, new_claim.attempts);

  EXPECT_OK(outbox_->MarkSent(old_claim, "250 late"));
  EXPECT_OK(outbox_->MarkRetry(old_claim, "421 late", RetryReason::k4xx));
  EXPECT_OK(outbox_->MarkFailed(old_claim, "550 late"));
  JobRow row = Row(id);
  EXPECT_EQ(row.state, "sending");
  EXPECT_EQ(row.attempts, 2);
  EXPECT_EQ(row.last_reply, "");
  EXPECT_EQ(InState(JobState::kSent), 0);
  EXPECT_EQ(InState(JobState::kFailed), 0);
  EXPECT_EQ(Retries("4xx"), 0);

  ASSERT_OK(outbox_->MarkSent(new_claim, "250 ok"));
  EXPECT_EQ(Row(id).state, "sent");
  EXPECT_EQ(InState(JobState::kSent), 1);
}

TEST_P(EngineOutboxTest, ARenewedClaimOutlivesItsFirstLeaseAndIsNotTaken) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob job = MustClaim(id);
  for (int i = 0; i < 5; i++) {
    clock_.AdvanceMs(policy_.lease_ms / 3);
    Result<std::vector<ClaimRef>> lost = outbox_->Renew({job.ref()});
    ASSERT_OK(lost);
    EXPECT_TRUE(lost.value().empty());
  }
  // Five thirds of a lease since the claim, and nobody can take it.
  Result<ClaimOutcome> other = outbox_->Claim(id);
  ASSERT_OK(other);
  EXPECT_FALSE(other.value().job.has_value());
  Result<std::vector<ClaimedJob>> swept = outbox_->ClaimDue(10);
  ASSERT_OK(swept);
  EXPECT_TRUE(swept.value().empty());
  ASSERT_OK(outbox_->MarkSent(job, "250 ok"));
  EXPECT_EQ(Row(id).state, "sent");
  EXPECT_EQ(Row(id).attempts, 1);
}

TEST_P(EngineOutboxTest, RenewingALostOrFinishedClaimReportsItLost) {
  const std::int64_t a = Queue("a@example.com");
  const std::int64_t b = Queue("b@example.com");
  ClaimedJob old_a = MustClaim(a);
  ClaimedJob done_b = MustClaim(b);
  ASSERT_OK(outbox_->MarkSent(done_b, "250 ok"));
  clock_.AdvanceMs(policy_.lease_ms);
  ClaimedJob new_a = MustClaim(a);  // the lease ran out: another process
  Result<std::vector<ClaimRef>> lost =
      outbox_->Renew({old_a.ref(), done_b.ref(), new_a.ref()});
  ASSERT_OK(lost);
  ASSERT_EQ(lost.value().size(), 2u);
  EXPECT_EQ(lost.value()[0].id, a);
  EXPECT_EQ(lost.value()[0].attempts, 1);
  EXPECT_EQ(lost.value()[1].id, b);
}

TEST_P(EngineOutboxTest, AClaimRecordsItsClaimant) {
  const std::int64_t id = Queue("ann@example.com");
  MustClaim(id);
  EXPECT_EQ(Row(id).claimed_by, policy_.claimant);
}

TEST_P(EngineOutboxTest, ALostClaimGoesBackToTheQueueAndOthersStay) {
  // This process: "lost" claimed (the answer never came back), "busy"
  // claimed and being sent, "done" sent. Another process: "theirs".
  const std::int64_t lost = Queue("lost@example.com");
  const std::int64_t busy = Queue("busy@example.com");
  const std::int64_t done = Queue("done@example.com");
  const std::int64_t theirs = Queue("theirs@example.com");
  MustClaim(lost);
  MustClaim(busy);
  ASSERT_OK(outbox_->MarkSent(MustClaim(done), "250 ok"));
  OutboxPolicy other_policy = policy_;
  other_policy.claimant = "other@host";
  Storage* process = OtherProcess(other_policy);
  ASSERT_NE(process, nullptr);
  Result<std::unique_ptr<Outbox>> other = process->NewOutbox();
  ASSERT_OK(other);
  ASSERT_OK(other.value()->Claim(theirs));

  clock_.AdvanceMs(5 * kSecond);
  Result<int> released = outbox_->ReleaseLostClaims({busy});
  ASSERT_OK(released);
  EXPECT_EQ(released.value(), 1);
  EXPECT_EQ(Row(lost).state, "queued");
  EXPECT_EQ(Row(busy).state, "sending");
  EXPECT_EQ(Row(done).state, "sent");
  EXPECT_EQ(Row(theirs).state, "sending");
  EXPECT_EQ(EventNames(lost).back(), "requeued");
  // Due now, not after the lease: the next sweep sends it.
  Result<std::vector<ClaimedJob>> swept = outbox_->ClaimDue(10);
  ASSERT_OK(swept);
  ASSERT_EQ(swept.value().size(), 1u);
  EXPECT_EQ(swept.value()[0].id, lost);
  Result<int> again = outbox_->ReleaseLostClaims({busy, lost});
  ASSERT_OK(again);
  EXPECT_EQ(again.value(), 0);
}

// --- ClaimDue ----------------------------------------------------------------

TEST_P(EngineOutboxTest, ASweepLeavesANewJobAloneDuringTheGracePeriod) {
  limits_.sweep_grace_ms = 3 * kSecond;
  const std::int64_t id = Queue("ann@example.com");
  Result<std::vector<ClaimedJob>> now = outbox_->ClaimDue(10);
  ASSERT_OK(now);
  EXPECT_TRUE(now.value().empty());

  clock_.AdvanceMs(limits_.sweep_grace_ms - 1);
  Result<std::vector<ClaimedJob>> early = outbox_->ClaimDue(10);
  ASSERT_OK(early);
  EXPECT_TRUE(early.value().empty());

  clock_.AdvanceMs(1);
  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].id, id);
  EXPECT_EQ(due.value()[0].attempts, 1);
  EXPECT_EQ(due.value()[0].rcpt, "ann@example.com");
  EXPECT_EQ(Row(id).state, "sending");
}

TEST_P(EngineOutboxTest, ASweepClaimsAtMostLimitJobsLongestDueFirst) {
  const std::int64_t a = Queue("a@example.com");
  clock_.AdvanceMs(kSecond);
  const std::int64_t b = Queue("b@example.com");
  clock_.AdvanceMs(kSecond);
  const std::int64_t c = Queue("c@example.com");
  clock_.AdvanceMs(kMinute);

  Result<std::vector<ClaimedJob>> first = outbox_->ClaimDue(2);
  ASSERT_OK(first);
  ASSERT_EQ(first.value().size(), 2u);
  EXPECT_EQ(first.value()[0].id, a);
  EXPECT_EQ(first.value()[1].id, b);

  Result<std::vector<ClaimedJob>> rest = outbox_->ClaimDue(2);
  ASSERT_OK(rest);
  ASSERT_EQ(rest.value().size(), 1u);
  EXPECT_EQ(rest.value()[0].id, c);

  Result<std::vector<ClaimedJob>> none = outbox_->ClaimDue(2);
  ASSERT_OK(none);
  EXPECT_TRUE(none.value().empty());
}

TEST_P(EngineOutboxTest, AJobInBackoffDoesNotBlockADueJobBehindIt) {
  OutboxPolicy slow = policy_;
  slow.retry_ms = kHour;
  Storage* other = OtherProcess(slow);
  ASSERT_NE(other, nullptr);
  Result<std::unique_ptr<Outbox>> other_outbox = other->NewOutbox();
  ASSERT_OK(other_outbox);
  Outbox* outbox = other_outbox.value().get();
  const std::int64_t waiting = Queue("a@example.com");
  Result<ClaimOutcome> c = outbox->Claim(waiting);
  ASSERT_OK(c);
  ASSERT_TRUE(c.value().job.has_value());
  ASSERT_OK(outbox->MarkRetry(*c.value().job, "421 busy", RetryReason::k4xx));
  ASSERT_EQ(Row(waiting).next_attempt_ms, clock_.NowMs() + kHour);

  const std::int64_t due = Queue("b@example.com");
  clock_.AdvanceMs(limits_.sweep_grace_ms);
  Result<std::vector<ClaimedJob>> claimed = outbox->ClaimDue(1);
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed.value().size(), 1u);
  EXPECT_EQ(claimed.value()[0].id, due);
  EXPECT_EQ(Row(waiting).state, "queued");
}

TEST_P(EngineOutboxTest, ASweepRecordsAClaimedEvent) {
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(limits_.sweep_grace_ms);
  ASSERT_OK(outbox_->ClaimDue(10));
  std::vector<JobEvent> events;
  Row(id, &events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event, "claimed");
  EXPECT_EQ(events[1].detail, "sweep");
  EXPECT_EQ(events[1].at_ms, clock_.NowMs());
}

// --- Several processes (or hosts) -------------------------------------------

TEST_P(EngineOutboxTest, AJobQueuedOnOneConnectionIsClaimedOnAnother) {
  Storage* process = OtherProcess(policy_);
  ASSERT_NE(process, nullptr);
  Result<std::unique_ptr<Outbox>> other_outbox = process->NewOutbox();
  ASSERT_OK(other_outbox);
  Outbox* other = other_outbox.value().get();
  const std::int64_t id = Queue("ann@example.com");
  Result<ClaimOutcome> c = other->Claim(id);
  ASSERT_OK(c);
  ASSERT_TRUE(c.value().job.has_value());
  Result<ClaimOutcome> again = outbox_->Claim(id);
  ASSERT_OK(again);
  EXPECT_FALSE(again.value().job.has_value());
  EXPECT_EQ(again.value().state, JobState::kSending);
}

TEST_P(EngineOutboxTest, EightThreadsClaimingOneJobClaimItExactlyOnce) {
  const std::int64_t id = Queue("ann@example.com");
  ASSERT_GT(id, 0);
  constexpr int kThreads = 8;
  constexpr int kTries = 50;
  std::atomic<int> claimed{0};
  std::atomic<int> errors{0};
  // Two processes of four threads each.
  std::vector<std::unique_ptr<Outbox>> outboxes;
  for (int t = 0; t < kThreads; t++) {
    if (t % 2 == 0) {
      Result<std::unique_ptr<Outbox>> mine = storage_->NewOutbox();
      ASSERT_OK(mine);
      outboxes.push_back(std::move(mine).value());
    } else {
      Storage* process = OtherProcess(policy_);
      ASSERT_NE(process, nullptr);
      Result<std::unique_ptr<Outbox>> theirs = process->NewOutbox();
      ASSERT_OK(theirs);
      outboxes.push_back(std::move(theirs).value());
    }
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Outbox& outbox = *outboxes[t];
      for (int i = 0; i < kTries; i++) {
        Result<ClaimOutcome> c = outbox.Claim(id);
        if (!c.ok()) {
          errors++;
        } else if (c.value().job.has_value()) {
          claimed++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.load(), 1);
  EXPECT_EQ(Row(id).attempts, 1);
  EXPECT_EQ(Row(id).state, "sending");
}

TEST_P(EngineOutboxTest, OneClaimWinsAndALapsedLeaseIsClaimedAgain) {
  const std::int64_t id = Queue("claim@example.com");
  Result<ClaimOutcome> first = outbox_->Claim(id);
  ASSERT_OK(first);
  ASSERT_TRUE(first.value().job.has_value());
  EXPECT_EQ(first.value().job->rcpt, "claim@example.com");
  EXPECT_EQ(first.value().job->sealed, mails_.verify.sealed);
  Result<ClaimOutcome> second = outbox_->Claim(id);
  ASSERT_OK(second);
  EXPECT_FALSE(second.value().job.has_value());
  EXPECT_EQ(second.value().state, JobState::kSending);

  clock_.AdvanceMs(policy_.lease_ms + 1);
  Result<std::vector<ClaimedJob>> swept = outbox_->ClaimDue(10);
  ASSERT_OK(swept);
  ASSERT_EQ(swept.value().size(), 1u);
  // The first claim is lost: renewing it says so, and its outcome is void.
  Result<std::vector<ClaimRef>> lost =
      outbox_->Renew({first.value().job->ref(), swept.value()[0].ref()});
  ASSERT_OK(lost);
  ASSERT_EQ(lost.value().size(), 1u);
  EXPECT_EQ(lost.value()[0].attempts, first.value().job->attempts);
  ASSERT_OK(outbox_->MarkFailed(*first.value().job, "550 late"));
  EXPECT_EQ(outbox_->State(id).value(), JobState::kSending);
  ASSERT_OK(outbox_->MarkSent(swept.value()[0], "250 OK"));
  EXPECT_EQ(outbox_->State(id).value(), JobState::kSent);
  EXPECT_EQ(outbox_->Claim(id).value().state, JobState::kSent);
}

// Sweepers of several processes (or hosts) at once: every due job is
// claimed by exactly one of them.
TEST_P(EngineOutboxTest, SweepersRacingClaimEachDueJobOnce) {
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; i++) {
    ASSERT_GT(Queue("race" + std::to_string(i) + "@example.com"), 0);
  }
  clock_.AdvanceMs(10 * 1000);
  std::mutex mu;
  std::map<std::int64_t, int> claims;
  std::vector<std::thread> sweepers;
  for (int t = 0; t < 6; t++) {
    sweepers.emplace_back([&] {
      auto outbox = storage_->NewOutbox();
      ASSERT_OK(outbox);
      for (;;) {
        auto jobs = outbox.value()->ClaimDue(4);
        ASSERT_OK(jobs);
        if (jobs.value().empty()) return;
        std::lock_guard<std::mutex> lock(mu);
        for (const ClaimedJob& j : jobs.value()) claims[j.id]++;
      }
    });
  }
  for (std::thread& t : sweepers) t.join();
  EXPECT_EQ(static_cast<int>(claims.size()), kJobs);
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << "job " << id;
}

INSTANTIATE_ENGINES(EngineOutboxTest);

}  // namespace
}  // namespace reg
