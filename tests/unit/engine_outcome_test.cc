// Outbox outcomes on both engines (engine_fixture.h): retries, failures,
// sends, the metrics read from them, and regctl's view and requeue.
#include "engine_fixture.h"

namespace reg {
namespace {

using EngineOutcomeTest = EngineTest;

TEST_P(EngineOutcomeTest, ARetriedJobIsQueuedAgainAfterADoublingDelay) {
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

TEST_P(EngineOutcomeTest, ARetryAfterRetryForMsSinceCreationFailsTheJob) {
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

TEST_P(EngineOutcomeTest, AFailedJobKeepsItsLastReply) {
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

TEST_P(EngineOutcomeTest, ASentJobCountsInTheDeliveryHistogramCumulatively) {
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

TEST_P(EngineOutcomeTest, ALatencyOnABucketBoundCountsInThatBucket) {
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(250);
  ASSERT_OK(outbox_->MarkSent(MustClaim(id), "250 ok"));
  EXPECT_EQ(Within(0.1), 0);
  EXPECT_EQ(Within(0.25), 1);
  EXPECT_EQ(Within(0.5), 1);
}

TEST_P(EngineOutcomeTest, ALatencyAboveTheLastBucketCountsOnlyInCountAndSum) {
  const std::int64_t id = Queue("ann@example.com");
  clock_.AdvanceMs(2 * kHour);
  ASSERT_OK(outbox_->MarkSent(MustClaim(id), "250 ok"));
  EXPECT_EQ(Within(3600), 0);
  EXPECT_EQ(Stats().delivered, 1);
  EXPECT_EQ(Stats().delivery_ms_sum, 2 * kHour);
}

// --- Stats -------------------------------------------------------------------

TEST_P(EngineOutcomeTest, StatsCountJobsByStateAndGiveTheOldestWaitingJob) {
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

TEST_P(EngineOutcomeTest, ARetryRecordsItsReasonForTheMetrics) {
  const std::int64_t id = Queue("ann@example.com");
  ASSERT_OK(outbox_->MarkRetry(MustClaim(id), "connection refused",
                               RetryReason::kConnect));
  std::vector<JobEvent> events;
  Row(id, &events);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].event, "retry");
  EXPECT_EQ(events[2].detail, "connection refused");
  EXPECT_EQ(Retries("connect"), 1);
}

// --- regctl's view
// ----------------------------------------------------------------

TEST_P(EngineOutcomeTest, ListJobsFiltersByStateNewestFirst) {
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

TEST_P(EngineOutcomeTest, GetJobGivesTheHistoryOldestFirst) {
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

TEST_P(EngineOutcomeTest, GetJobOfAnUnknownIdIsNotFound) {
  std::vector<JobEvent> events;
  Result<JobRow> row = outbox_->GetJob(777, &events);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().code(), Code::kNotFound);
}

TEST_P(EngineOutcomeTest, ARequeuedFailedJobIsDueAtOnce) {
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

TEST_P(EngineOutcomeTest, RequeueingASentOrSendingJobIsInvalidArgument) {
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

TEST_P(EngineOutcomeTest, RetriesGrowThenGiveUpAfterTheRetryWindow) {
  const std::int64_t id = Queue("retry@example.com");
  auto job = outbox_->Claim(id).value().job;
  ASSERT_TRUE(job.has_value());
  ASSERT_OK(outbox_->MarkRetry(*job, "451 busy", RetryReason::k4xx));
  EXPECT_EQ(outbox_->State(id).value(), JobState::kQueued);
  // Not due before the delay, due after it.
  EXPECT_TRUE(outbox_->ClaimDue(10).value().empty());
  clock_.AdvanceMs(policy_.retry_ms);
  auto due = outbox_->ClaimDue(10);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].attempts, 2);
  clock_.AdvanceMs(policy_.retry_for_ms);
  ASSERT_OK(outbox_->MarkRetry(due.value()[0], "451 still", RetryReason::k4xx));
  EXPECT_EQ(outbox_->State(id).value(), JobState::kFailed);

  Result<OutboxStats> stats = outbox_->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats.value().by_state[static_cast<int>(JobState::kFailed)], 1);
  ASSERT_EQ(stats.value().retries.size(), 1u);
  EXPECT_EQ(stats.value().retries[0].first, "4xx");
  EXPECT_EQ(stats.value().retries[0].second, 1);

  std::vector<JobEvent> events;
  Result<JobRow> row = outbox_->GetJob(id, &events);
  ASSERT_OK(row);
  EXPECT_EQ(row.value().last_reply, "451 still");
  std::vector<std::string> names;
  for (const JobEvent& e : events) names.push_back(e.event);
  EXPECT_THAT(names, ::testing::ElementsAre("queued", "claimed", "retry",
                                            "claimed", "failed"));
  ASSERT_OK(outbox_->RequeueJob(id));
  EXPECT_EQ(outbox_->State(id).value(), JobState::kQueued);
  EXPECT_EQ(outbox_->ListJobs("queued", 10).value().size(), 1u);
}

TEST_P(EngineOutcomeTest, SentMailIsInTheDeliveryHistogramAndCannotBeRequeued) {
  const std::int64_t id = Queue("sent@example.com");
  auto job = outbox_->Claim(id).value().job;
  ASSERT_TRUE(job.has_value());
  clock_.AdvanceMs(700);
  ASSERT_OK(outbox_->MarkSent(*job, "250 OK"));
  Result<OutboxStats> stats = outbox_->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats.value().delivered, 1);
  EXPECT_EQ(stats.value().delivery_ms_sum, 700);
  ASSERT_EQ(static_cast<int>(stats.value().delivered_within.size()),
            kDeliveryBucketCount);
  EXPECT_EQ(stats.value().delivered_within[3], 0);  // <= 0.5 s
  EXPECT_EQ(stats.value().delivered_within[4], 1);  // <= 1 s
  EXPECT_EQ(outbox_->RequeueJob(id).code(), Code::kInvalidArgument);
  EXPECT_EQ(outbox_->RequeueJob(id + 1000).code(), Code::kNotFound);
}

INSTANTIATE_ENGINES(EngineOutcomeTest);

}  // namespace
}  // namespace reg
