// Store::ApplyRetention on both engines (engine_fixture.h): what goes,
// what stays, and that no metrics total goes down.
#include "crypto/token.h"
#include "engine_fixture.h"

namespace reg {
namespace {

class EngineRetentionTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    limits_.token_ttl_ms = 1000;
    retention_.unverified_ms = 10 * 1000;
    retention_.mail_body_ms = 5 * 1000;
  }
  RetentionResult Apply() {
    Result<RetentionResult> r = store_->ApplyRetention(retention_);
    EXPECT_OK(r.status());
    return r.ok() ? r.value() : RetentionResult{};
  }
  RetentionPolicy retention_;
};

// What /internal/metrics counts of sent and failed mail, unchanged by a
// retention run that deleted their rows.
void ExpectDeliveryFiguresKept(const OutboxStats& before,
                               const OutboxStats& after) {
  EXPECT_EQ(after.sent_total, before.sent_total);
  EXPECT_EQ(after.failed_total, before.failed_total);
  EXPECT_EQ(after.delivered, before.delivered);
  EXPECT_EQ(after.delivery_ms_sum, before.delivery_ms_sum);
  EXPECT_EQ(after.delivered_within, before.delivered_within);
  EXPECT_EQ(after.retries, before.retries);
}

TEST_P(EngineRetentionTest,
       AnUnverifiedAccountGoesWithItsTokensAndJobsAfterItsLastLink) {
  ASSERT_OK(Register("gone@example.com", "h", "tok-1"));
  clock_.AdvanceMs(500);
  ASSERT_OK(Register("gone@example.com", "h", "tok-2"));  // the last link
  SendAll();
  const std::vector<JobRow> jobs = Jobs();
  ASSERT_EQ(jobs.size(), 2u);
  // The last link expires 1.5 s from the start; kept 10 s after that.
  clock_.AdvanceMs(1000 + 10 * 1000 - 1);
  EXPECT_EQ(Apply().accounts, 0);
  EXPECT_EQ(Accounts().size(), 1u);
  clock_.AdvanceMs(2);
  EXPECT_EQ(Apply().accounts, 1);
  EXPECT_EQ(Accounts().size(), 0u);
  EXPECT_EQ(store_->FindAccount("gone@example.com").status().code(),
            Code::kNotFound);
  EXPECT_EQ(TokenCode("tok-1"), Code::kNotFound);
  EXPECT_EQ(TokenCode("tok-2"), Code::kNotFound);
  EXPECT_EQ(Jobs().size(), 0u);
  std::vector<JobEvent> events;
  for (const JobRow& job : jobs) {
    EXPECT_EQ(outbox_->GetJob(job.id, &events).status().code(),
              Code::kNotFound);
  }
  EXPECT_EQ(Totals().retention_accounts, 1);
  EXPECT_EQ(Apply().accounts, 0);  // nothing twice
  EXPECT_EQ(Totals().retention_accounts, 1);
}

// Metrics are counted from the rows: what retention deletes stays in
// every *_total, which never goes down.
TEST_P(EngineRetentionTest, DeletedJobsStayInEveryTotal) {
  ASSERT_OK(Register("gone@example.com", "h", "tok-1"));
  ASSERT_OK(Register("kept@example.com", "h", "tok-2"));
  ASSERT_OK(store_->Activate(TokenHash("tok-2"), {}));
  clock_.AdvanceMs(2000);
  SendAll(RetryReason::kTimeout);
  const StoreTotals totals_before = Totals();
  const OutboxStats before = Stats();
  EXPECT_EQ(totals_before.registrations, 2);
  EXPECT_EQ(before.sent_total, 2);
  EXPECT_EQ(before.delivered, 2);
  EXPECT_EQ(before.delivery_ms_sum, 4000);
  EXPECT_EQ(Retries("timeout"), 2);
  clock_.AdvanceMs(20 * 1000);
  ASSERT_EQ(Apply().accounts, 1);
  EXPECT_EQ(Jobs().size(), 1u);

  const StoreTotals totals_after = Totals();
  const OutboxStats after = Stats();
  EXPECT_EQ(totals_after.registrations, totals_before.registrations);
  EXPECT_EQ(totals_after.activations, totals_before.activations);
  EXPECT_EQ(after.by_state[static_cast<int>(JobState::kSent)], 1);  // a gauge
  ExpectDeliveryFiguresKept(before, after);
  // A new job after the deletion counts on top.
  ASSERT_OK(Register("new@example.com", "h", "tok-3"));
  EXPECT_EQ(Totals().registrations, totals_before.registrations + 1);
}

// Resends and failed mails of a deleted account stay counted too.
TEST_P(EngineRetentionTest, DeletedResendsAndFailuresStayCounted) {
  limits_.mail_cap = 0;
  ASSERT_OK(Register("gone@example.com", "h", "tok-1"));
  ASSERT_OK(Resend("gone@example.com", "tok-2"));
  for (const JobRow& job : Jobs("queued")) {
    ASSERT_OK(outbox_->MarkFailed(MustClaim(job.id), "550 no"));
  }
  const StoreTotals totals_before = Totals();
  EXPECT_EQ(totals_before.resends, 1);
  EXPECT_EQ(Stats().failed_total, 2);
  clock_.AdvanceMs(20 * 1000);
  ASSERT_EQ(Apply().accounts, 1);
  EXPECT_EQ(InState(JobState::kFailed), 0);
  EXPECT_EQ(Stats().failed_total, 2);
  EXPECT_EQ(Totals().resends, 1);
  EXPECT_EQ(Totals().registrations, 1);
}

// Each run reads only the mails sent since the last one's cutoff.
TEST_P(EngineRetentionTest, ABodySentAfterEarlierRunsStillGoesOnTime) {
  ASSERT_OK(Register("kept@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  for (int i = 0; i < 3; i++) {
    clock_.AdvanceMs(4 * 1000);
    EXPECT_EQ(Apply().mail_bodies, 0);
  }
  SendAll();
  clock_.AdvanceMs(4 * 1000);
  EXPECT_EQ(Apply().mail_bodies, 0);
  clock_.AdvanceMs(1001);
  EXPECT_EQ(Apply().mail_bodies, 1);
  EXPECT_EQ(Totals().retention_mail_bodies, 1);
}

TEST_P(EngineRetentionTest, VerifiedAccountsAndUnsentJobsStay) {
  ASSERT_OK(Register("kept@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  ASSERT_OK(Register("queued@example.com", "h", "tok-2"));  // never sent
  clock_.AdvanceMs(3600 * 1000);
  EXPECT_EQ(Apply().accounts, 0);
  EXPECT_EQ(Accounts().size(), 2u);
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Totals().retention_accounts, 0);
}

TEST_P(EngineRetentionTest, ASentBodyGoesAfterItsTimeAndTheRowStays) {
  ASSERT_OK(Register("kept@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  SendAll();
  const std::int64_t unsent =
      Register("unsent@example.com", "h", "tok-2").value().job_id;
  const std::string unsent_body = mails_.verify.sealed;
  clock_.AdvanceMs(5 * 1000 - 1);
  EXPECT_EQ(Apply().mail_bodies, 0);
  clock_.AdvanceMs(2);
  EXPECT_EQ(Apply().mail_bodies, 1);
  // The rows stay for the operator; an unsent mail keeps its body.
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Jobs("sent").size(), 1u);
  EXPECT_EQ(MustClaim(unsent).sealed, unsent_body);
  EXPECT_EQ(Totals().retention_mail_bodies, 1);
  EXPECT_EQ(Apply().mail_bodies, 0);
}

TEST_P(EngineRetentionTest,
       RetentionDeletesOldUnverifiedAccountsAndKeepsTheTotals) {
  limits_.token_ttl_ms = 24 * kHour;
  const std::int64_t old_job = Queue("old@example.com");
  ASSERT_OK(outbox_->MarkSent(MustClaim(old_job), "250 OK"));
  ASSERT_OK(Register("kept@example.com", "h", "tk"));
  ASSERT_OK(store_->Activate(TokenHash("tk"), {}));
  RetentionPolicy policy;
  policy.unverified_ms = 7 * 24 * kHour;
  policy.mail_body_ms = 24 * kHour;
  clock_.AdvanceMs(9 * 24 * kHour);  // the link expired 8 days ago
  ASSERT_OK(Register("new@example.com", "h", "tn"));
  Result<RetentionResult> swept = store_->ApplyRetention(policy);
  ASSERT_OK(swept);
  EXPECT_EQ(swept.value().accounts, 1);
  EXPECT_EQ(swept.value().mail_bodies, 1);
  EXPECT_EQ(store_->FindAccount("old@example.com").status().code(),
            Code::kNotFound);
  EXPECT_OK(store_->FindAccount("KEPT@example.com"));
  // Nothing more to do the second time; the totals never went down.
  Result<RetentionResult> again = store_->ApplyRetention(policy);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().accounts, 0);
  EXPECT_EQ(again.value().mail_bodies, 0);
  const StoreTotals totals = Totals();
  EXPECT_EQ(totals.registrations, 3);
  EXPECT_EQ(totals.retention_accounts, 1);
  EXPECT_EQ(totals.retention_mail_bodies, 1);
  EXPECT_EQ(Stats().sent_total, 1);
  EXPECT_EQ(Stats().delivered, 1);
}

// A "no account" mail (a resend's to an unknown address) belongs to no
// account: it goes on its own, with its history and receipts, once final
// and as old as a notification about it can be (a week: until then one
// can still suppress its address, and MAIL_CAP's day counts it), and
// every total stays.
TEST_P(EngineRetentionTest, NoAccountMailsGoOnceFinalAndAWeekOld) {
  limits_.mail_cap = 0;
  Result<RegisterOutcome> first = Resend("nobody@example.com", "tok-1");
  Result<RegisterOutcome> second = Resend("nobody@example.com", "tok-2");
  ASSERT_OK(first);
  ASSERT_OK(second);
  ASSERT_OK(outbox_->MarkFailed(MustClaim(second.value().job_id), "550 no"));
  ASSERT_OK(Register("kept@example.com", "h", "tok-3"));
  ASSERT_OK(store_->Activate(TokenHash("tok-3"), {}));
  clock_.AdvanceMs(2000);
  SendAll(RetryReason::kTimeout);  // the first and kept@'s, 2 s after
  Result<RegisterOutcome> unsent = Resend("nobody@example.com", "tok-4");
  ASSERT_OK(unsent);
  ASSERT_EQ(Jobs().size(), 4u);
  const StoreTotals totals_before = Totals();
  const OutboxStats before = Stats();
  EXPECT_EQ(before.sent_total, 2);
  EXPECT_EQ(before.failed_total, 1);
  EXPECT_EQ(before.delivery_ms_sum, 4000);
  EXPECT_EQ(Retries("timeout"), 2);

  // The mails were queued at the start; a week later they are still kept.
  clock_.AdvanceMs(7 * 24 * kHour - 2000);
  EXPECT_EQ(Apply().no_account_mails, 0);
  EXPECT_EQ(Jobs().size(), 4u);
  clock_.AdvanceMs(1);
  EXPECT_EQ(Apply().no_account_mails, 2);
  EXPECT_EQ(Jobs().size(), 2u);  // the unsent one, the verified account's
  std::vector<JobEvent> events;
  for (std::int64_t gone : {first.value().job_id, second.value().job_id}) {
    EXPECT_EQ(outbox_->GetJob(gone, &events).status().code(), Code::kNotFound)
        << "job " << gone;
  }
  EXPECT_EQ(Row(unsent.value().job_id).state, "queued");
  EXPECT_EQ(store_->Receipt(ReceiptHashOf("tok-1")).status().code(),
            Code::kNotFound);

  const StoreTotals totals_after = Totals();
  const OutboxStats after = Stats();
  EXPECT_EQ(totals_after.registrations, totals_before.registrations);
  EXPECT_EQ(totals_after.resends, totals_before.resends);
  EXPECT_EQ(totals_after.receipts, totals_before.receipts);
  EXPECT_EQ(totals_after.retention_accounts, 0);
  ExpectDeliveryFiguresKept(before, after);
  EXPECT_EQ(after.by_state[static_cast<int>(JobState::kSent)], 1);  // a gauge
  EXPECT_EQ(Apply().no_account_mails, 0);  // nothing twice
  // A new one after the deletion counts on top.
  ASSERT_OK(Resend("nobody@example.com", "tok-5"));
  SendAll();
  EXPECT_EQ(Stats().sent_total, before.sent_total + 2);
}

// A receipt lives TOKEN_TTL_S (up to 30 days): its mail stays while it
// does, so its page never loses what became of it.
TEST_P(EngineRetentionTest, ANoAccountMailStaysWhileItsReceiptLives) {
  limits_.mail_cap = 0;
  limits_.token_ttl_ms = 10 * 24 * kHour;
  ASSERT_OK(Resend("nobody@example.com", "tok-1"));
  SendAll();
  clock_.AdvanceMs(10 * 24 * kHour - 1);
  EXPECT_EQ(Apply().no_account_mails, 0);
  EXPECT_OK(store_->Receipt(ReceiptHashOf("tok-1")));
  EXPECT_EQ(Jobs().size(), 1u);
  clock_.AdvanceMs(1);
  EXPECT_EQ(Apply().no_account_mails, 1);
  EXPECT_EQ(Jobs().size(), 0u);
  EXPECT_EQ(Stats().sent_total, 1);
}

INSTANTIATE_ENGINES(EngineRetentionTest);

}  // namespace
}  // namespace reg
