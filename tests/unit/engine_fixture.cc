#include "engine_fixture.h"

#include "crypto/token.h"
#include "http/form.h"
#include "pg_server.h"
#include "storage/postgres/engine.h"
#include "storage/sqlite/engine.h"

namespace reg {
namespace {

// The suites' one database on the shared cluster ("" if it did not start).
const std::string& PgUrl() {
  static const std::string url = [] {
    PgServer& pg = PgServer::Shared();
    return pg.ok() ? pg.CreateDatabase("storage_engines") : std::string();
  }();
  return url;
}

Result<std::unique_ptr<Storage>> OpenEngine(const std::string& engine,
                                            const std::string& path,
                                            const Clock* clock,
                                            const OutboxPolicy& policy) {
  if (engine == "sqlite") {
    auto s = SqliteStorage::Open(path, true, true, clock, policy);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Storage>(std::move(s).value());
  }
  auto s = PgStorage::Open(PgUrl(), clock, policy);
  if (!s.ok()) return s.status();
  return std::unique_ptr<Storage>(std::move(s).value());
}

// Deletes every row of the suites' database, on one connection kept for
// the whole run (opened again if the server dropped it): a connection is a
// server process forked and set up, about 30 ms of the server's processor
// time here, and the storage tests are a hundred.
Status CleanPgDatabase() {
  static std::unique_ptr<PgConnection> admin;
  Status s = Status::Unavailable("not connected");
  for (int attempt = 0; attempt < 2 && !s.ok(); attempt++) {
    if (admin == nullptr || !admin->connected()) {
      Result<std::unique_ptr<PgConnection>> opened =
          PgConnection::Open(PgUrl());
      if (!opened.ok()) return opened.status();
      admin = std::move(opened).value();
    }
    s = admin->Exec(
        "SET session_replication_role = replica; "
        "DO $$ DECLARE t text; BEGIN "
        "FOR t IN SELECT format('%I', tablename) FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename <> 'schema_version' LOOP "
        "EXECUTE 'DELETE FROM ' || t; END LOOP; "
        "FOR t IN SELECT format('%I', sequencename) FROM pg_sequences "
        "WHERE schemaname = 'public' LOOP "
        "PERFORM setval(t, 1, false); END LOOP; END $$");
  }
  return s;
}

}  // namespace

NewRegistration Registration(const std::string& email,
                             const std::string& password_hash,
                             const std::string& token) {
  NewRegistration r;
  r.email = email;
  r.email_norm = NormalizeEmail(email);
  r.mailbox = MailboxKey(email);
  r.password_hash = password_hash;
  r.token_hash = TokenHash(token);
  r.receipt_hash = ReceiptHashOf(token);
  return r;
}

std::string ReceiptHashOf(const std::string& token) {
  return TokenHash("receipt:" + token);
}

EngineTest::EngineTest() {
  policy_.lease_ms = 10 * kSecond;
  policy_.retry_ms = 30 * kSecond;
  policy_.max_retry_ms = kHour;
  policy_.retry_for_ms = 2 * kHour;
  policy_.claimant = "123@test-host";
}

void EngineTest::OpenStorage() {
  auto storage = OpenEngine(GetParam(), dir_.File("reg.db"), &clock_, policy_);
  ASSERT_OK(storage);
  storage_ = std::move(storage).value();
  auto store = storage_->NewStore();
  ASSERT_OK(store);
  store_ = std::move(store).value();
  auto outbox = storage_->NewOutbox();
  ASSERT_OK(outbox);
  outbox_ = std::move(outbox).value();
}

void EngineTest::ReopenAfter(const char* sqlite_sql, const char* pg_sql) {
  other_outboxes_.clear();
  others_.clear();
  outbox_.reset();
  store_.reset();
  storage_.reset();
  if (GetParam() == "postgres") {
    auto conn = PgConnection::Open(PgUrl());
    ASSERT_OK(conn);
    ASSERT_OK(conn.value()->Exec(pg_sql));
  } else {
    auto db = Database::Open(dir_.File("reg.db"), /*create=*/false,
                             /*sync_full=*/true, /*migrate=*/false);
    ASSERT_OK(db);
    ASSERT_OK(db.value()->Exec(sqlite_sql));
  }
  OpenStorage();
}

void EngineTest::SetUp() {
  ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
  if (GetParam() == "postgres") {
    ASSERT_FALSE(PgUrl().empty())
        << "PostgreSQL did not start: " << PgServer::Shared().log();
    // The first test migrates (OpenEngine); the others start from its
    // schema with every row gone, a tenth of a second each rather than a
    // whole migration (no migration seeds rows: one that does must refill
    // them here).
    ASSERT_OK(CleanPgDatabase());
  }
  OpenStorage();
}

Storage* EngineTest::OtherProcess(const OutboxPolicy& policy) {
  auto storage = OpenEngine(GetParam(), dir_.File("reg.db"), &clock_, policy);
  EXPECT_OK(storage);
  if (!storage.ok()) return nullptr;
  others_.push_back(std::move(storage).value());
  return others_.back().get();
}

Outbox* EngineTest::OtherOutbox(const std::string& claimant) {
  OutboxPolicy policy = policy_;
  policy.claimant = claimant;
  Storage* process = OtherProcess(policy);
  if (process == nullptr) return nullptr;
  Result<std::unique_ptr<Outbox>> outbox = process->NewOutbox();
  EXPECT_OK(outbox);
  if (!outbox.ok()) return nullptr;
  other_outboxes_.push_back(std::move(outbox).value());
  return other_outboxes_.back().get();
}

RegistrationMails EngineTest::NextMails() {
  const std::string n = std::to_string(++mail_count_);
  const std::string binary("\0\xff\x80", 3);
  mails_.verify = {"<v" + n + "@test>", "verify-" + n + binary};
  mails_.exists = {"<e" + n + "@test>", "exists-" + n + binary};
  mails_.no_account = {"<n" + n + "@test>", "no-account-" + n + binary};
  return mails_;
}

Result<RegisterOutcome> EngineTest::Register(const std::string& email,
                                             const std::string& password_hash,
                                             const std::string& token) {
  return store_->Register(Registration(email, password_hash, token), limits_,
                          NextMails());
}

Result<RegisterOutcome> EngineTest::Resend(const std::string& email,
                                           const std::string& token) {
  return store_->Resend(Registration(email, "", token), limits_, NextMails());
}

std::int64_t EngineTest::Queue(const std::string& email) {
  RegisterLimits no_cap = limits_;
  no_cap.mail_cap = 0;
  no_cap.mail_cap_total = 0;
  Result<RegisterOutcome> out = store_->Register(
      Registration(email, "hash", "token-" + std::to_string(mail_count_ + 1)),
      no_cap, NextMails());
  EXPECT_OK(out);
  return out.ok() ? out.value().job_id : 0;
}

StoreTotals EngineTest::Totals() {
  Result<StoreTotals> t = store_->Totals();
  EXPECT_OK(t);
  return t.ok() ? t.value() : StoreTotals();
}

OutboxStats EngineTest::Stats() {
  Result<OutboxStats> s = outbox_->Stats();
  EXPECT_OK(s);
  return s.ok() ? s.value() : OutboxStats();
}

std::int64_t EngineTest::InState(JobState state) {
  return Stats().by_state[static_cast<int>(state)];
}

std::int64_t EngineTest::Retries(const std::string& reason) {
  for (const auto& [r, n] : Stats().retries) {
    if (r == reason) return n;
  }
  return 0;
}

std::int64_t EngineTest::Within(double le) {
  OutboxStats stats = Stats();
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    if (kDeliveryBuckets[i] == le) return stats.delivered_within[i];
  }
  ADD_FAILURE() << "no bucket " << le;
  return -1;
}

ClaimedJob EngineTest::MustClaim(std::int64_t id) {
  Result<ClaimOutcome> c = outbox_->Claim(id);
  EXPECT_OK(c);
  if (!c.ok()) return ClaimedJob();
  EXPECT_TRUE(c.value().job.has_value()) << "job " << id << " not claimed";
  return c.value().job.value_or(ClaimedJob());
}

void EngineTest::SendAll(std::optional<RetryReason> retry_reason) {
  for (const JobRow& row : Jobs("queued")) {
    if (retry_reason) {
      EXPECT_OK(
          outbox_->MarkRetry(MustClaim(row.id), "451 later", *retry_reason));
    }
    EXPECT_OK(outbox_->MarkSent(MustClaim(row.id), "250 ok"));
  }
}

JobRow EngineTest::Row(std::int64_t id, std::vector<JobEvent>* events) {
  std::vector<JobEvent> ignored;
  Result<JobRow> row = outbox_->GetJob(id, events ? events : &ignored);
  EXPECT_OK(row);
  return row.ok() ? row.value() : JobRow();
}

std::vector<std::string> EngineTest::EventNames(std::int64_t id) {
  std::vector<JobEvent> events;
  Row(id, &events);
  std::vector<std::string> names;
  for (const JobEvent& e : events) names.push_back(e.event);
  return names;
}

std::vector<JobRow> EngineTest::Jobs(const std::string& state) {
  Result<std::vector<JobRow>> rows = outbox_->ListJobs(state, 1000);
  EXPECT_OK(rows);
  return rows.ok() ? rows.value() : std::vector<JobRow>();
}

std::vector<AccountRow> EngineTest::Accounts() {
  Result<std::vector<AccountRow>> rows = store_->ListAccounts("", 1000);
  EXPECT_OK(rows);
  return rows.ok() ? rows.value() : std::vector<AccountRow>();
}

AccountRow EngineTest::Account(const std::string& email) {
  Result<AccountRow> row = store_->FindAccount(email);
  EXPECT_OK(row);
  return row.ok() ? row.value() : AccountRow();
}

Code EngineTest::TokenCode(const std::string& token) {
  return store_->CheckToken(TokenHash(token)).status().code();
}

}  // namespace reg
