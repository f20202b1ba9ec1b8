#include "storage/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_fixture.h"

namespace reg {
namespace {

OutboxPolicy SmallPolicy() {
  OutboxPolicy p;
  p.lease_ms = 10 * kSecond;
  p.retry_ms = 30 * kSecond;
  p.max_retry_ms = kHour;
  p.retry_for_ms = 2 * kHour;
  p.claimant = "123@test-host";
  return p;
}

class OutboxTest : public SqliteFixture {
 protected:
  OutboxTest() { policy_ = SmallPolicy(); }
  void SetUp() override {
    SqliteFixture::SetUp();
    limits_.mail_cap = 0;
  }

  // Another process's outbox on the same file, with "policy".
  std::unique_ptr<Outbox> OtherProcess(const OutboxPolicy& policy) {
    Result<std::unique_ptr<SqliteStorage>> storage =
        SqliteStorage::Open(path(), true, true, &clock_, policy);
    EXPECT_OK(storage);
    if (!storage.ok()) return nullptr;
    Result<std::unique_ptr<Outbox>> outbox = storage.value()->NewOutbox();
    EXPECT_OK(outbox);
    others_.push_back(std::move(storage).value());
    return outbox.ok() ? std::move(outbox).value() : nullptr;
  }

  OutboxStats Stats() {
    Result<OutboxStats> stats = outbox_->Stats();
    EXPECT_OK(stats);
    return stats.ok() ? stats.value() : OutboxStats();
  }
  std::int64_t InState(JobState state) {
    return Stats().by_state[static_cast<int>(state)];
  }
  std::int64_t Retries(const std::string& reason) {
    for (const auto& [r, n] : Stats().retries) {
      if (r == reason) return n;
    }
    return 0;
  }
  // Sent jobs within "le" seconds (one of kDeliveryBuckets).
  std::int64_t Within(double le) {
    OutboxStats stats = Stats();
    for (int i = 0; i < kDeliveryBucketCount; i++) {
      if (kDeliveryBuckets[i] == le) return stats.delivered_within[i];
    }
    ADD_FAILURE() << "no bucket " << le;
    return -1;
  }

  // Queues one real job through Store::Register; returns its id (0 on error).
  std::int64_t Queue(const std::string& email) {
    NewRegistration r;
    r.email = email;
    r.email_norm = NormalizeEmail(email);
    r.password_hash = "hash";
    r.token_hash = TokenHash("token-" + std::to_string(++mails_));
    const int n = mails_;
    Result<RegisterOutcome> out =
        store_->Register(r, limits_, [n](MailKind) -> Result<PreparedMail> {
          return PreparedMail{"<" + std::to_string(n) + "@test>",
                              "sealed-" + std::to_string(n)};
        });
    EXPECT_OK(out);
    return out.ok() ? out.value().job_id : 0;
  }

  // Claims "id", which must be claimable.
  ClaimedJob MustClaim(std::int64_t id) {
    Result<ClaimOutcome> c = outbox_->Claim(id);
    EXPECT_OK(c);
    if (!c.ok()) return ClaimedJob();
    EXPECT_TRUE(c.value().job.has_value()) << "job " << id << " not claimed";
    return c.value().job.value_or(ClaimedJob());
  }

  JobRow Row(std::int64_t id, std::vector<JobEvent>* events = nullptr) {
    std::vector<JobEvent> ignored;
    Result<JobRow> row = outbox_->GetJob(id, events ? events : &ignored);
    EXPECT_OK(row);
    return row.ok() ? row.value() : JobRow();
  }

  RegisterLimits limits_;
  int mails_ = 0;
  std::vector<std::unique_ptr<SqliteStorage>> others_;
};

// --- Claim -------------------------------------------------------------------

TEST_F(OutboxTest, AQueuedJobIsClaimedOnceAndThenFoundSending) {
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
  EXPECT_EQ(job.sealed, "sealed-1");
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.created_ms, created);
  EXPECT_EQ(QueryInt(db_.get(), "SELECT lease_until_ms FROM outbox"),
            clock_.NowMs() + policy_.lease_ms);
  EXPECT_EQ(Row(id).state, "sending");

  Result<ClaimOutcome> second = outbox_->Claim(id);
  ASSERT_OK(second);
  EXPECT_EQ(second.value().state, JobState::kSending);
  EXPECT_FALSE(second.value().job.has_value());
  EXPECT_EQ(Row(id).attempts, 1);
}

TEST_F(OutboxTest, ASentJobIsNotClaimedAgain) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkSent(job, "250 ok"));
  Result<ClaimOutcome> again = outbox_->Claim(id);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().state, JobState::kSent);
  EXPECT_FALSE(again.value().job.has_value());
}

TEST_F(OutboxTest, ClaimingAnUnknownJobIsNotFound) {
  Result<ClaimOutcome> c = outbox_->Claim(4242);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
}

TEST_F(OutboxTest, JobStateNamesMatchTheSchema) {
  EXPECT_STREQ(JobStateName(JobState::kQueued), "queued");
  EXPECT_STREQ(JobStateName(JobState::kSending), "sending");
  EXPECT_STREQ(JobStateName(JobState::kSent), "sent");
  EXPECT_STREQ(JobStateName(JobState::kFailed), "failed");
}

// --- Leases ------------------------------------------------------------------

TEST_F(OutboxTest, JobClaimedByADeadProcessIsClaimedAgainAfterItsLease) {
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
  EXPECT_EQ(QueryInt(db_.get(), "SELECT lease_until_ms FROM outbox"),
            clock_.NowMs() + policy_.lease_ms);
}

TEST_F(OutboxTest, ASweepTakesAJobWhoseLeaseRanOut) {
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

TEST_F(OutboxTest, AnOutcomeReportedUnderALostClaimChangesNothing) {
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

TEST_F(OutboxTest, ARenewedClaimOutlivesItsFirstLeaseAndIsNotTaken) {
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

TEST_F(OutboxTest, RenewingALostOrFinishedClaimReportsItLost) {
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

TEST_F(OutboxTest, AClaimRecordsItsClaimant) {
  const std::int64_t id = Queue("ann@example.com");
  MustClaim(id);
  EXPECT_EQ(Row(id).claimed_by, policy_.claimant);
}

// --- ClaimDue ----------------------------------------------------------------

TEST_F(OutboxTest, ASweepLeavesANewJobAloneDuringTheGracePeriod) {
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

TEST_F(OutboxTest, ASweepClaimsAtMostLimitJobsLongestDueFirst) {
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

TEST_F(OutboxTest, AJobInBackoffDoesNotBlockADueJobBehindIt) {
  OutboxPolicy slow = policy_;
  slow.retry_ms = kHour;
  std::unique_ptr<Outbox> outbox = OtherProcess(slow);
  ASSERT_NE(outbox, nullptr);
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

TEST_F(OutboxTest, ASweepRecordsAClaimedEvent) {
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

// --- MarkRetry
// -----------------------------------------------------------------

TEST_F(OutboxTest, RetryDelayDoublesFromRetryMsUpToTheCap) {
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

TEST_F(OutboxTest, ARetriedJobIsQueuedAgainAfterADoublingDelay) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkRetry(job, "421 try later", RetryReason::k4xx));
  JobRow row = Row(id);
  EXPECT_EQ(row.state, "queued");
  EXPECT_EQ(row.last_reply, "421 try later");
  EXPECT_EQ(row.next_attempt_ms, clock_.NowMs() + 30 * kSecond);
  EXPECT_EQ(Retries("4xx"), 1);

  // Not due before its time.
  clock_.AdvanceMs(30 * kSecond - 1);
  Result<std::vector<ClaimedJob>> early = outbox_->ClaimDue(10);
  ASSERT_OK(early);
  EXPECT_TRUE(early.value().empty());

  clock_.AdvanceMs(1);
  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].attempts, 2);
  ASSERT_OK(outbox_->MarkRetry(due.value()[0], "451 later", RetryReason::k4xx));
  EXPECT_EQ(Row(id).next_attempt_ms, clock_.NowMs() + 60 * kSecond);
  EXPECT_EQ(Retries("4xx"), 2);

  clock_.AdvanceMs(60 * kSecond);
  job = MustClaim(id);
  EXPECT_EQ(job.attempts, 3);
  ASSERT_OK(outbox_->MarkRetry(job, "timeout", RetryReason::kTimeout));
  EXPECT_EQ(Row(id).next_attempt_ms, clock_.NowMs() + 120 * kSecond);
  EXPECT_EQ(Retries("timeout"), 1);
  EXPECT_EQ(Retries("4xx"), 2);
}

TEST_F(OutboxTest, ARetryAfterRetryForMsSinceCreationFailsTheJob) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkRetry(job, "421 busy", RetryReason::k4xx));
  EXPECT_EQ(Row(id).state, "queued");

  clock_.AdvanceMs(policy_.retry_for_ms + 1);
  job = MustClaim(id);
  ASSERT_OK(outbox_->MarkRetry(job, "421 still busy", RetryReason::k4xx));
  JobRow row = Row(id);
  EXPECT_EQ(row.state, "failed");
  EXPECT_EQ(row.last_reply, "421 still busy");
  EXPECT_EQ(InState(JobState::kFailed), 1);
  EXPECT_EQ(Retries("4xx"), 1);
}

// --- MarkFailed / MarkSent
// -------------------------------------------------------

TEST_F(OutboxTest, AFailedJobKeepsItsLastReply) {
  const std::int64_t id = Queue("ann@example.com");
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkFailed(job, "550 5.1.1 no such user"));
  JobRow row = Row(id);
  EXPECT_EQ(row.state, "failed");
  EXPECT_EQ(row.last_reply, "550 5.1.1 no such user");
  EXPECT_EQ(InState(JobState::kFailed), 1);

  Result<ClaimOutcome> again = outbox_->Claim(id);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().state, JobState::kFailed);
  EXPECT_FALSE(again.value().job.has_value());
  clock_.AdvanceMs(kHour);
  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  EXPECT_TRUE(due.value().empty());
}

TEST_F(OutboxTest, ASentJobCountsInTheDeliveryHistogramCumulatively) {
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(300);  // 0.3 s from the answer to the 250
  ClaimedJob job = MustClaim(id);
  ASSERT_OK(outbox_->MarkSent(job, "250 2.0.0 queued as 1234"));
  EXPECT_EQ(Row(id).state, "sent");
  EXPECT_EQ(Row(id).last_reply, "250 2.0.0 queued as 1234");
  EXPECT_EQ(InState(JobState::kSent), 1);
  EXPECT_EQ(Stats().delivered, 1);
  EXPECT_EQ(Stats().delivery_ms_sum, 300);

  EXPECT_EQ(Within(0.05), 0);
  EXPECT_EQ(Within(0.1), 0);
  EXPECT_EQ(Within(0.25), 0);
  for (const char* le :
       {"0.5", "1", "2.5", "5", "10", "30", "60", "300", "1800", "3600"}) {
    EXPECT_EQ(Within(std::stod(le)), 1) << "le=" << le;
  }
  EXPECT_EQ(kDeliveryBucketCount, 13);
}

TEST_F(OutboxTest, ALatencyOnABucketBoundCountsInThatBucket) {
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(250);
  ASSERT_OK(outbox_->MarkSent(MustClaim(id), "250 ok"));
  EXPECT_EQ(Within(0.1), 0);
  EXPECT_EQ(Within(0.25), 1);
  EXPECT_EQ(Within(0.5), 1);
}

TEST_F(OutboxTest, ALatencyAboveTheLastBucketCountsOnlyInCountAndSum) {
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(2 * kHour);
  ASSERT_OK(outbox_->MarkSent(MustClaim(id), "250 ok"));
  EXPECT_EQ(Within(3600), 0);
  EXPECT_EQ(Stats().delivered, 1);
  EXPECT_EQ(Stats().delivery_ms_sum, 2 * kHour);
}

// --- Stats
// ---------------------------------------------------------------------

TEST_F(OutboxTest, StatsCountJobsByStateAndGiveTheOldestWaitingJob) {
  Result<OutboxStats> empty = outbox_->Stats();
  ASSERT_OK(empty);
  for (std::int64_t n : empty.value().by_state) EXPECT_EQ(n, 0);
  EXPECT_EQ(empty.value().oldest_waiting_ms, 0);

  const std::int64_t t0 = clock_.NowMs();
  const std::int64_t sent = Queue("a@example.com");
  clock_.AdvanceMs(kSecond);
  const std::int64_t failed = Queue("b@example.com");
  clock_.AdvanceMs(kSecond);
  const std::int64_t sending = Queue("c@example.com");
  clock_.AdvanceMs(kSecond);
  Queue("d@example.com");
  Queue("e@example.com");
  ASSERT_OK(outbox_->MarkSent(MustClaim(sent), "250 ok"));
  ASSERT_OK(outbox_->MarkFailed(MustClaim(failed), "550 no"));
  MustClaim(sending);

  Result<OutboxStats> stats = outbox_->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats.value().by_state[static_cast<int>(JobState::kQueued)], 2);
  EXPECT_EQ(stats.value().by_state[static_cast<int>(JobState::kSending)], 1);
  EXPECT_EQ(stats.value().by_state[static_cast<int>(JobState::kSent)], 1);
  EXPECT_EQ(stats.value().by_state[static_cast<int>(JobState::kFailed)], 1);
  // The oldest job not yet finished: "sending" counts, sent/failed do not.
  EXPECT_EQ(stats.value().oldest_waiting_ms, t0 + 2 * kSecond);
}

TEST_F(OutboxTest, AScrapeReadsIndexesNotTheJobRows) {
  // The rows hold sealed messages (overflow pages); the scrape's queries
  // are answered from indexes alone.
  const char* queries[] = {
      "SELECT count(*), sum(sent_ms - created_ms <= 50) FROM outbox "
      "WHERE state = 'sent'",
      "SELECT state, count(*) FROM outbox GROUP BY state",
      "SELECT reason, count(*) FROM outbox_events WHERE event = 'retry' "
      "GROUP BY reason",
      "SELECT count(*) FROM users WHERE verified_ms IS NOT NULL",
  };
  for (const char* q : queries) {
    std::string plan;  // the "detail" column of every step
    sqlite3_stmt* raw = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db_->raw(), (std::string("EXPLAIN QUERY PLAN ") + q).c_str(),
                  -1, &raw, nullptr),
              SQLITE_OK);
    SqliteStmt explain(raw);
    while (sqlite3_step(explain.get()) == SQLITE_ROW) {
      plan +=
          reinterpret_cast<const char*>(sqlite3_column_text(explain.get(), 3));
      plan += "; ";
    }
    EXPECT_NE(plan.find("COVERING INDEX"), std::string::npos)
        << q << ": " << plan;
  }
}

TEST_F(OutboxTest, ARetryRecordsItsReasonForTheMetrics) {
  const std::int64_t id = Queue("ann@example.com");
  ASSERT_OK(outbox_->MarkRetry(MustClaim(id), "connection refused",
                               RetryReason::kConnect));
  EXPECT_EQ(QueryText(db_.get(),
                      "SELECT reason FROM outbox_events WHERE event = 'retry'"),
            "connect");
  EXPECT_EQ(Retries("connect"), 1);
}

// --- regctl's view
// ----------------------------------------------------------------

TEST_F(OutboxTest, ListJobsFiltersByStateNewestFirst) {
  const std::int64_t a = Queue("a@example.com");
  const std::int64_t b = Queue("b@example.com");
  const std::int64_t c = Queue("c@example.com");
  ASSERT_OK(outbox_->MarkFailed(MustClaim(a), "550 a"));
  ASSERT_OK(outbox_->MarkFailed(MustClaim(c), "550 c"));

  Result<std::vector<JobRow>> failed = outbox_->ListJobs("failed", 10);
  ASSERT_OK(failed);
  ASSERT_EQ(failed.value().size(), 2u);
  EXPECT_EQ(failed.value()[0].id, c);
  EXPECT_EQ(failed.value()[1].id, a);
  EXPECT_EQ(failed.value()[0].last_reply, "550 c");
  EXPECT_EQ(failed.value()[0].kind, "verify");

  Result<std::vector<JobRow>> queued = outbox_->ListJobs("queued", 10);
  ASSERT_OK(queued);
  ASSERT_EQ(queued.value().size(), 1u);
  EXPECT_EQ(queued.value()[0].id, b);

  Result<std::vector<JobRow>> all = outbox_->ListJobs("", 10);
  ASSERT_OK(all);
  EXPECT_EQ(all.value().size(), 3u);

  Result<std::vector<JobRow>> limited = outbox_->ListJobs("", 2);
  ASSERT_OK(limited);
  ASSERT_EQ(limited.value().size(), 2u);
  EXPECT_EQ(limited.value()[0].id, c);
}

TEST_F(OutboxTest, GetJobGivesTheHistoryOldestFirst) {
  const std::int64_t t0 = clock_.NowMs();
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(kSecond);
  ClaimedJob job = MustClaim(id);
  clock_.AdvanceMs(kSecond);
  ASSERT_OK(outbox_->MarkFailed(job, "550 no such user"));

  std::vector<JobEvent> events;
  Result<JobRow> row = outbox_->GetJob(id, &events);
  ASSERT_OK(row);
  EXPECT_EQ(row.value().id, id);
  EXPECT_EQ(row.value().rcpt, "ann@example.com");
  EXPECT_EQ(row.value().state, "failed");
  EXPECT_EQ(row.value().attempts, 1);
  EXPECT_EQ(row.value().created_ms, t0);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, "queued");
  EXPECT_EQ(events[0].at_ms, t0);
  EXPECT_EQ(events[1].event, "claimed");
  EXPECT_EQ(events[1].detail, "post");
  EXPECT_EQ(events[1].at_ms, t0 + kSecond);
  EXPECT_EQ(events[2].event, "failed");
  EXPECT_EQ(events[2].detail, "550 no such user");
  EXPECT_EQ(events[2].at_ms, t0 + 2 * kSecond);
}

TEST_F(OutboxTest, GetJobOfAnUnknownIdIsNotFound) {
  std::vector<JobEvent> events;
  Result<JobRow> row = outbox_->GetJob(777, &events);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().code(), Code::kNotFound);
}

TEST_F(OutboxTest, ARequeuedFailedJobIsDueAtOnce) {
  const std::int64_t id = Queue("ann@example.com");
  ASSERT_OK(outbox_->MarkFailed(MustClaim(id), "550 no"));
  clock_.AdvanceMs(kHour);
  ASSERT_OK(outbox_->RequeueJob(id));

  std::vector<JobEvent> events;
  JobRow row = Row(id, &events);
  EXPECT_EQ(row.state, "queued");
  EXPECT_EQ(row.next_attempt_ms, clock_.NowMs());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "requeued");
  EXPECT_EQ(events.back().at_ms, clock_.NowMs());

  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].id, id);
  EXPECT_EQ(due.value()[0].attempts, 2);
}

TEST_F(OutboxTest, RequeueingASentOrSendingJobIsInvalidArgument) {
  const std::int64_t sent = Queue("a@example.com");
  ASSERT_OK(outbox_->MarkSent(MustClaim(sent), "250 ok"));
  Status s = outbox_->RequeueJob(sent);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(Row(sent).state, "sent");

  const std::int64_t sending = Queue("b@example.com");
  MustClaim(sending);
  s = outbox_->RequeueJob(sending);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(Row(sending).state, "sending");

  s = outbox_->RequeueJob(999);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
}

// --- Several connections
// -----------------------------------------------------------

TEST_F(OutboxTest, AJobQueuedOnOneConnectionIsClaimedOnAnother) {
  std::unique_ptr<Outbox> other = OtherProcess(policy_);
  ASSERT_NE(other, nullptr);
  const std::int64_t id = Queue("ann@example.com");
  Result<ClaimOutcome> c = other->Claim(id);
  ASSERT_OK(c);
  ASSERT_TRUE(c.value().job.has_value());
  Result<ClaimOutcome> again = outbox_->Claim(id);
  ASSERT_OK(again);
  EXPECT_FALSE(again.value().job.has_value());
  EXPECT_EQ(again.value().state, JobState::kSending);
}

TEST_F(OutboxTest, EightThreadsClaimingOneJobClaimItExactlyOnce) {
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
      outboxes.push_back(OtherProcess(policy_));
      ASSERT_NE(outboxes.back(), nullptr);
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

}  // namespace
}  // namespace reg
