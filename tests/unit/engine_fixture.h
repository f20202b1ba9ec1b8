// EngineTest: the storage contract's fixture, run on both engines (the
// test parameter, "sqlite" or "postgres"): SQLite on a temp file,
// PostgreSQL 15 on the test binary's throwaway cluster (tests/pg_server.h),
// a fresh schema for every test. Tests see the engine only through
// Storage, Store and Outbox, as the service does, and through what the
// operator sees (Totals, Stats, ListJobs, GetJob, FindAccount): no SQL.
#ifndef TESTS_UNIT_ENGINE_FIXTURE_H_
#define TESTS_UNIT_ENGINE_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/retry_reason.h"
#include "fake_clock.h"
#include "storage/storage.h"
#include "testutil.h"

namespace reg {

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;

// A registration of "email" with "password_hash" whose link carries
// "token"; a resend's has no password ("").
NewRegistration Registration(const std::string& email,
                             const std::string& password_hash,
                             const std::string& token);

// The receipt hash Registration gives the answer of "token"'s request.
std::string ReceiptHashOf(const std::string& token);

// Runs a suite of EngineTest on both engines.
#define INSTANTIATE_ENGINES(suite)                                  \
  INSTANTIATE_TEST_SUITE_P(Both, suite,                             \
                           ::testing::Values("sqlite", "postgres"), \
                           [](const auto& p) { return p.param; })

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  EngineTest();
  void SetUp() override;

  // Another process (or host) on the same database, with "policy"; kept
  // open until the test ends. nullptr (and a failure) on error.
  Storage* OtherProcess(const OutboxPolicy& policy);
  // The Outbox of another process (OtherProcess) with policy_ but for its
  // claimant, "claimant"; kept until the test ends. nullptr (and a
  // failure) on error.
  Outbox* OtherOutbox(const std::string& claimant);

  // A database as an older version left it, for a migration's test (the
  // one place these tests write SQL): closes every storage of the test,
  // runs "sqlite_sql" or "pg_sql" (as the engine is) on the database,
  // then opens storage_, store_ and outbox_ again, which migrates it.
  void ReopenAfter(const char* sqlite_sql, const char* pg_sql);
  // Opens storage_, store_ and outbox_ on this test's database.
  void OpenStorage();

  // The mails of a registration, with fresh Message-IDs; the sealed bytes
  // name the kind and the number ("verify-3"), then a NUL and high bytes
  // as real sealed mail has.
  RegistrationMails NextMails();
  // Register / Resend with limits_ and NextMails() (kept in mails_).
  Result<RegisterOutcome> Register(const std::string& email,
                                   const std::string& password_hash,
                                   const std::string& token);
  Result<RegisterOutcome> Resend(const std::string& email,
                                 const std::string& token);
  // A registration's job id with no mail cap (0 and a failure on error).
  std::int64_t Queue(const std::string& email);

  StoreTotals Totals();
  OutboxStats Stats();
  std::int64_t InState(JobState state);  // mail jobs in "state"
  std::int64_t Retries(const std::string& reason);
  std::int64_t Within(double le);  // sent within "le" s, a bucket bound

  // Claims "id", which must be claimable.
  ClaimedJob MustClaim(std::int64_t id);
  // Claims every queued job and marks it sent (after a retry for "reason"
  // first, unless it is "").
  void SendAll(std::optional<RetryReason> retry_reason = std::nullopt);
  JobRow Row(std::int64_t id, std::vector<JobEvent>* events = nullptr);
  std::vector<std::string> EventNames(std::int64_t id);  // oldest first
  std::vector<JobRow> Jobs(const std::string& state = "");
  std::vector<AccountRow> Accounts();
  // FindAccount's row ({} and a failure when there is none).
  AccountRow Account(const std::string& email);
  // CheckToken's code: kOk (valid or used), kNotFound or kGone.
  Code TokenCode(const std::string& token);

  TempDir dir_;
  FakeClock clock_;
  OutboxPolicy policy_;
  RegisterLimits limits_;
  RegistrationMails mails_;  // the last NextMails()
  int mail_count_ = 0;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Outbox> outbox_;
  std::vector<std::unique_ptr<Storage>> others_;
  std::vector<std::unique_ptr<Outbox>> other_outboxes_;  // before others_ go
};

}  // namespace reg

#endif  // TESTS_UNIT_ENGINE_FIXTURE_H_
