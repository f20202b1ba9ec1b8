// The storage contract, through the Store and Outbox interfaces only, run
// on both engines: SQLite on a temp file, PostgreSQL 15 on a throwaway
// cluster (tests/pg_server.h). What one engine does, the other must.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/token.h"
#include "fake_clock.h"
#include "http/form.h"
#include "pg_server.h"
#include "storage/postgres/engine.h"
#include "storage/sqlite/engine.h"
#include "testutil.h"

namespace reg {
namespace {

constexpr std::int64_t kMinute = 60 * 1000;
constexpr std::int64_t kHour = 60 * kMinute;

NewRegistration Registration(const std::string& email,
                             const std::string& token) {
  NewRegistration r;
  r.email = email;
  r.email_norm = NormalizeEmail(email);
  r.mailbox = MailboxKey(email);
  r.password_hash = "$scrypt$ln=4,r=8,p=1$c2FsdA$a2V5";
  r.token_hash = TokenHash(token);
  return r;
}

// What POST /register/resend hands the store: no password.
NewRegistration ResendOf(const std::string& email, const std::string& token) {
  NewRegistration r = Registration(email, token);
  r.password_hash.clear();
  return r;
}

// A renderer that names the kind in the sealed bytes (with a NUL and
// high bytes, as real sealed mail has) and makes Message-IDs unique.
MailRenderer Renderer() {
  return [n = 0](MailKind kind) mutable -> Result<PreparedMail> {
    PreparedMail m;
    m.message_id = "<" + std::to_string(++n) + "." +
                   std::to_string(reinterpret_cast<std::uintptr_t>(&n)) +
                   "@example.com>";
    m.sealed = std::string(kind == MailKind::kVerify ? "verify" : "exists") +
               std::string("\0\xff\x80", 3);
    return m;
  };
}

class EnginesTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    PgServer& pg = PgServer::Shared();
    if (pg.ok()) pg_url_ = pg.CreateDatabase("engines_test");
  }

  void SetUp() override {
    policy_.lease_ms = 2 * kMinute;
    policy_.claimant = "test@host";
    if (GetParam() == "sqlite") {
      auto s = SqliteStorage::Open(dir_.File("reg.db"), true, true, &clock_,
                                   policy_);
      ASSERT_OK(s);
      storage_ = std::move(s).value();
    } else {
      ASSERT_FALSE(pg_url_.empty())
          << "PostgreSQL did not start: " << PgServer::Shared().log();
      auto admin = PgConnection::Open(pg_url_);
      ASSERT_OK(admin);
      ASSERT_OK(admin.value()->Exec(
          "DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
      auto s = PgStorage::Open(pg_url_, &clock_, policy_);
      ASSERT_OK(s);
      storage_ = std::move(s).value();
    }
    auto store = storage_->NewStore();
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto outbox = storage_->NewOutbox();
    ASSERT_OK(outbox);
    outbox_ = std::move(outbox).value();
  }

  RegisterOutcome Register(const std::string& email, const std::string& token,
                           int mail_cap = 0, int mail_cap_total = 0) {
    RegisterLimits limits;
    limits.mail_cap = mail_cap;
    limits.mail_cap_total = mail_cap_total;
    limits.token_ttl_ms = 24 * kHour;
    limits.sweep_grace_ms = 3000;
    Result<RegisterOutcome> r =
        store_->Register(Registration(email, token), limits, renderer_);
    EXPECT_OK(r);
    return r.ok() ? r.value() : RegisterOutcome();
  }

  static std::string pg_url_;
  TempDir dir_;
  FakeClock clock_;
  OutboxPolicy policy_;
  MailRenderer renderer_ = Renderer();
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Outbox> outbox_;
};
std::string EnginesTest::pg_url_;

TEST_P(EnginesTest, ARegistrationQueuesItsMailAndTheLinkVerifiesOnce) {
  RegisterOutcome first = Register("Ada@Example.com", "token-1");
  EXPECT_EQ(first.kind, MailKind::kVerify);
  ASSERT_GT(first.job_id, 0);
  Result<JobState> state = outbox_->State(first.job_id);
  ASSERT_OK(state);
  EXPECT_EQ(state.value(), JobState::kQueued);

  Result<TokenState> token = store_->CheckToken(TokenHash("token-1"));
  ASSERT_OK(token);
  EXPECT_EQ(token.value(), TokenState::kValid);
  Result<ActivateOutcome> activated =
      store_->Activate(TokenHash("token-1"), {});
  ASSERT_OK(activated);
  EXPECT_EQ(activated.value().state, Activation::kVerified);
  Result<ActivateOutcome> again = store_->Activate(TokenHash("token-1"), {});
  ASSERT_OK(again);
  EXPECT_EQ(again.value().state, Activation::kAlreadyVerified);

  // Uniqueness ignores case; a verified address gets the notice.
  RegisterOutcome later = Register("ada@example.COM", "token-2");
  EXPECT_EQ(later.kind, MailKind::kExists);
  Result<StoreTotals> totals = store_->Totals();
  ASSERT_OK(totals);
  EXPECT_EQ(totals.value().registrations, 2);
  EXPECT_EQ(totals.value().activations, 1);
}

TEST_P(EnginesTest, UnknownAndExpiredTokensAreToldApart) {
  EXPECT_EQ(store_->CheckToken(TokenHash("nobody")).status().code(),
            Code::kNotFound);
  Register("grace@example.com", "token-g");
  clock_.AdvanceMs(24 * kHour + 1);
  EXPECT_EQ(store_->CheckToken(TokenHash("token-g")).status().code(),
            Code::kGone);
  EXPECT_EQ(store_->Activate(TokenHash("token-g"), {}).status().code(),
            Code::kGone);
}

TEST_P(EnginesTest, PastTheMailCapNothingIsQueuedAndItIsCounted) {
  for (int i = 0; i < 3; i++) {
    EXPECT_GT(Register("cap@example.com", "t" + std::to_string(i), 3).job_id,
              0);
  }
  EXPECT_EQ(Register("cap@example.com", "t3", 3).job_id, 0);
  Result<StoreTotals> totals = store_->Totals();
  ASSERT_OK(totals);
  EXPECT_EQ(totals.value().capped, 1);
  EXPECT_EQ(totals.value().registrations, 4);
  clock_.AdvanceMs(kHour + 1);
  EXPECT_GT(Register("cap@example.com", "t4", 3).job_id, 0);
}

TEST_P(EnginesTest, TheMailCapCountsAMailboxWhateverItsTagOrCase) {
  EXPECT_GT(Register("Ann@example.com", "m0", 2).job_id, 0);
  EXPECT_GT(Register("ann+news@example.com", "m1", 2).job_id, 0);
  EXPECT_EQ(Register("ANN+x@Example.com", "m2", 2).job_id, 0);
  EXPECT_GT(Register("bob@example.com", "m3", 2).job_id, 0);
  // MAIL_CAP_TOTAL: three mails this hour so far; the fourth place is the
  // last.
  EXPECT_GT(Register("cy@example.com", "m4", 0, 4).job_id, 0);
  EXPECT_EQ(Register("dee@example.com", "m5", 0, 4).job_id, 0);
  Result<StoreTotals> totals = store_->Totals();
  ASSERT_OK(totals);
  EXPECT_EQ(totals.value().capped, 1);
  EXPECT_EQ(totals.value().capped_service, 1);
  EXPECT_EQ(totals.value().registrations, 6);
}

TEST_P(EnginesTest, CheckTokenGivesThePasswordHashOfItsRegistration) {
  Register("hash@example.com", "th");
  std::string hash;
  Result<TokenState> state = store_->CheckToken(TokenHash("th"), &hash);
  ASSERT_OK(state);
  EXPECT_EQ(hash, "$scrypt$ln=4,r=8,p=1$c2FsdA$a2V5");
}

TEST_P(EnginesTest, RetentionDeletesOldUnverifiedAccountsAndKeepsTheTotals) {
  const std::int64_t old_job = Register("old@example.com", "to").job_id;
  auto job = outbox_->Claim(old_job).value().job;
  ASSERT_TRUE(job.has_value());
  ASSERT_OK(outbox_->MarkSent(*job, "250 OK"));
  Register("kept@example.com", "tk");
  ASSERT_OK(store_->Activate(TokenHash("tk"), {}));
  RetentionPolicy policy;
  policy.unverified_ms = 7 * 24 * kHour;
  policy.mail_body_ms = 24 * kHour;
  clock_.AdvanceMs(9 * 24 * kHour);  // the link expired 8 days ago
  Register("new@example.com", "tn");
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
  Result<StoreTotals> totals = store_->Totals();
  ASSERT_OK(totals);
  EXPECT_EQ(totals.value().registrations, 3);
  EXPECT_EQ(totals.value().retention_accounts, 1);
  EXPECT_EQ(totals.value().retention_mail_bodies, 1);
  Result<OutboxStats> stats = outbox_->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats.value().sent_total, 1);
  EXPECT_EQ(stats.value().delivered, 1);
}

TEST_P(EnginesTest, AccountLookUpsForTheOperator) {
  Register("Zoe@Example.com", "z1");
  Register("zoe@example.com", "z2");
  Register("other@example.com", "o1");
  Result<std::vector<AccountRow>> zoes = store_->ListAccounts("ZOE", 10);
  ASSERT_OK(zoes);
  ASSERT_EQ(zoes.value().size(), 1u);
  EXPECT_EQ(zoes.value()[0].email, "Zoe@Example.com");
  EXPECT_EQ(zoes.value()[0].mails, 2);
  Result<std::vector<AccountRow>> all = store_->ListAccounts("", 10);
  ASSERT_OK(all);
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_EQ(all.value()[0].email, "other@example.com");  // newest first
  Result<AccountRow> zoe = store_->FindAccount("ZOE@example.com");
  ASSERT_OK(zoe);
  Result<std::vector<std::int64_t>> jobs =
      store_->AccountJobIds(zoe.value().id);
  ASSERT_OK(jobs);
  ASSERT_EQ(jobs.value().size(), 2u);
  EXPECT_LT(jobs.value()[0], jobs.value()[1]);
}

TEST_P(EnginesTest, AFirstVerificationQueuesItsEventOnTheWebhookChannel) {
  Register("ev@example.com", "te");
  EventSpec events;
  events.render = [](const VerifiedAccount& a) -> Result<PreparedMail> {
    PreparedMail m;
    m.message_id = "evt-" + std::to_string(a.id);
    m.sealed = "{\"email\":\"" + a.email + "\"}";
    return m;
  };
  Result<ActivateOutcome> first = store_->Activate(TokenHash("te"), events);
  ASSERT_OK(first);
  EXPECT_EQ(first.value().state, Activation::kVerified);
  ASSERT_GT(first.value().event_job_id, 0);
  Result<ActivateOutcome> again = store_->Activate(TokenHash("te"), events);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().event_job_id, 0);  // a double click: no event
  Result<ClaimOutcome> claim = outbox_->Claim(first.value().event_job_id);
  ASSERT_OK(claim);
  ASSERT_TRUE(claim.value().job.has_value());
  EXPECT_EQ(claim.value().job->channel, Channel::kWebhook);
  EXPECT_EQ(claim.value().job->sealed, "{\"email\":\"ev@example.com\"}");
  EXPECT_EQ(claim.value().job->message_id.rfind("evt-", 0), 0u);
  Result<OutboxStats> stats = outbox_->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats.value().events_by_state[static_cast<int>(JobState::kSending)],
            1);
  EXPECT_EQ(stats.value().by_state[static_cast<int>(JobState::kSending)], 0);
}

TEST_P(EnginesTest, AResendMailsTheLatestPasswordsLinkAndNothingToStrangers) {
  Register("re@example.com", "r1");
  Result<RegisterOutcome> nobody =
      store_->Resend(ResendOf("x@example.com", "r0"), {}, renderer_);
  ASSERT_OK(nobody);
  EXPECT_EQ(nobody.value().job_id, 0);
  RegisterLimits limits;
  limits.mail_cap = 0;
  Result<RegisterOutcome> again =
      store_->Resend(ResendOf("Re@example.com", "r2"), limits, renderer_);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().kind, MailKind::kVerify);
  EXPECT_GT(again.value().job_id, 0);
  std::string hash;
  ASSERT_OK(store_->CheckToken(TokenHash("r2"), &hash));
  EXPECT_EQ(hash, "$scrypt$ln=4,r=8,p=1$c2FsdA$a2V5");
  Result<StoreTotals> totals = store_->Totals();
  ASSERT_OK(totals);
  EXPECT_EQ(totals.value().registrations, 1);
  EXPECT_EQ(totals.value().resends, 1);
}

// MAIL_CAP counts a resend's mail in its own mailbox, not the site's.
TEST_P(EnginesTest, AResendIsCappedByItsOwnMailboxOnly) {
  RegisterLimits limits;
  limits.mail_cap = 2;
  ASSERT_OK(store_->Register(Registration("bob@example.com", "b1"), limits,
                             renderer_));
  ASSERT_OK(store_->Register(Registration("carl@example.com", "c1"), limits,
                             renderer_));
  ASSERT_OK(store_->Register(Registration("ann@example.com", "a1"), limits,
                             renderer_));
  Result<RegisterOutcome> second =
      store_->Resend(ResendOf("ANN@Example.com", "a2"), limits, renderer_);
  ASSERT_OK(second);
  EXPECT_GT(second.value().job_id, 0);  // ann's second mail this hour
  Result<RegisterOutcome> third =
      store_->Resend(ResendOf("ann@example.com", "a3"), limits, renderer_);
  ASSERT_OK(third);
  EXPECT_EQ(third.value().job_id, 0);  // her third: capped
}

TEST_P(EnginesTest, OneClaimWinsAndALapsedLeaseIsClaimedAgain) {
  const std::int64_t id = Register("claim@example.com", "tc").job_id;
  Result<ClaimOutcome> first = outbox_->Claim(id);
  ASSERT_OK(first);
  ASSERT_TRUE(first.value().job.has_value());
  EXPECT_EQ(first.value().job->rcpt, "claim@example.com");
  EXPECT_EQ(first.value().job->sealed, std::string("verify\0\xff\x80", 9));
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

TEST_P(EnginesTest, RetriesGrowThenGiveUpAfterTheRetryWindow) {
  const std::int64_t id = Register("retry@example.com", "tr").job_id;
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

TEST_P(EnginesTest, SentMailIsInTheDeliveryHistogramAndCannotBeRequeued) {
  const std::int64_t id = Register("sent@example.com", "ts").job_id;
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

// Sweepers of several processes (or hosts) at once: every due job is
// claimed by exactly one of them.
TEST_P(EnginesTest, SweepersRacingClaimEachDueJobOnce) {
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; i++) {
    ASSERT_GT(Register("race" + std::to_string(i) + "@example.com",
                       "race" + std::to_string(i))
                  .job_id,
              0);
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

INSTANTIATE_TEST_SUITE_P(Both, EnginesTest,
                         ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace reg
