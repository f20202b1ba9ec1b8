#include "storage/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "crypto/token.h"
#include "http/form.h"
#include "storage/db.h"
#include "storage/migrations.h"
#include "storage/retention.h"
#include "testutil.h"

namespace reg {
namespace {

// The first column of the first row of "sql", with "text" bound to every
// '?' in order; -1 (and a test failure) when there is no row.
std::int64_t QueryInt(Database* db, const char* sql,
                      const std::vector<std::string>& text = {}) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db->raw(), sql, -1, &raw, nullptr);
  SqliteStmt stmt(raw);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db->raw()) << " in " << sql;
  if (rc != SQLITE_OK) return -1;
  for (size_t i = 0; i < text.size(); i++) {
    sqlite3_bind_text(stmt.get(), static_cast<int>(i + 1), text[i].c_str(), -1,
                      SQLITE_TRANSIENT);
  }
  rc = sqlite3_step(stmt.get());
  EXPECT_EQ(rc, SQLITE_ROW) << sql;
  if (rc != SQLITE_ROW) return -1;
  return sqlite3_column_int64(stmt.get(), 0);
}

std::string QueryText(Database* db, const char* sql,
                      const std::vector<std::string>& text = {}) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db->raw(), sql, -1, &raw, nullptr);
  SqliteStmt stmt(raw);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db->raw()) << " in " << sql;
  if (rc != SQLITE_OK) return "";
  for (size_t i = 0; i < text.size(); i++) {
    sqlite3_bind_text(stmt.get(), static_cast<int>(i + 1), text[i].c_str(), -1,
                      SQLITE_TRANSIENT);
  }
  rc = sqlite3_step(stmt.get());
  EXPECT_EQ(rc, SQLITE_ROW) << sql;
  if (rc != SQLITE_ROW) return "";
  const unsigned char* p = sqlite3_column_text(stmt.get(), 0);
  return p != nullptr ? reinterpret_cast<const char*>(p) : "";
}

std::int64_t Counter(Database* db, const std::string& name) {
  return QueryInt(
      db, "SELECT coalesce((SELECT value FROM counters WHERE name = ?), 0)",
      {name});
}

std::int64_t Rows(Database* db, const char* table) {
  return QueryInt(db, (std::string("SELECT count(*) FROM ") + table).c_str());
}

int HighestMigration() {
  int highest = 0;
  for (int i = 0; i < kMigrationCount; i++) {
    if (kMigrations[i].version > highest) highest = kMigrations[i].version;
  }
  return highest;
}

NewRegistration Registration(const std::string& email,
                             const std::string& password_hash,
                             const std::string& token) {
  NewRegistration r;
  r.email = email;
  r.email_norm = NormalizeEmail(email);
  r.mailbox = MailboxKey(email);
  r.password_hash = password_hash;
  r.token_hash = TokenHash(token);
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    Result<std::unique_ptr<Database>> db = Database::Open(dir_.File("reg.db"));
    ASSERT_OK(db);
    db_ = std::move(db).value();
    store_ = std::make_unique<Store>(db_.get(), &clock_);
  }

  // A renderer that records the kinds it was asked for and gives every
  // mail a fresh Message-ID (the column is UNIQUE).
  MailRenderer Renderer() {
    return [this](MailKind kind) -> Result<PreparedMail> {
      rendered_.push_back(kind);
      PreparedMail mail;
      mail.message_id = "<" + std::to_string(++mails_) + "@test>";
      mail.sealed = "sealed-" + std::to_string(mails_);
      return mail;
    };
  }

  Result<RegisterOutcome> Register(const std::string& email,
                                   const std::string& password_hash,
                                   const std::string& token) {
    return store_->Register(Registration(email, password_hash, token), limits_,
                            Renderer());
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Store> store_;
  RegisterLimits limits_;
  std::vector<MailKind> rendered_;
  int mails_ = 0;
};

// --- Database::Open and migrations ------------------------------------------

TEST_F(StoreTest, AFreshFileReachesTheHighestMigration) {
  EXPECT_GT(kMigrationCount, 0);
  EXPECT_EQ(db_->user_version(), HighestMigration());
  EXPECT_EQ(QueryInt(db_.get(), "PRAGMA user_version"), HighestMigration());
  EXPECT_EQ(QueryText(db_.get(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(db_.get(), "PRAGMA foreign_keys"), 1);
}

TEST_F(StoreTest, OpeningAMigratedFileAgainChangesNothing) {
  ASSERT_OK(Register("a@example.com", "hash-a", "token-a"));
  db_.reset();
  Result<std::unique_ptr<Database>> again = Database::Open(dir_.File("reg.db"));
  ASSERT_OK(again);
  Database* db = again.value().get();
  EXPECT_EQ(db->user_version(), HighestMigration());
  EXPECT_EQ(Rows(db, "users"), 1);
  EXPECT_EQ(Rows(db, "tokens"), 1);
  EXPECT_EQ(Rows(db, "outbox"), 1);
  EXPECT_EQ(Counter(db, "registrations_total"), 1);
}

TEST(Database, TwoConnectionsOpenOneNewFileAndBothWork) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Result<std::unique_ptr<Database>> a = Database::Open(dir.File("two.db"));
  Result<std::unique_ptr<Database>> b = Database::Open(dir.File("two.db"));
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a.value()->user_version(), HighestMigration());
  EXPECT_EQ(b.value()->user_version(), HighestMigration());

  FakeClock clock;
  Store store_a(a.value().get(), &clock);
  Store store_b(b.value().get(), &clock);
  int n = 0;
  MailRenderer render = [&n](MailKind) -> Result<PreparedMail> {
    return PreparedMail{"<" + std::to_string(++n) + "@two>", "x"};
  };
  ASSERT_OK(store_a.Register(Registration("a@example.com", "h", "ta"),
                             RegisterLimits(), render));
  ASSERT_OK(store_b.Register(Registration("b@example.com", "h", "tb"),
                             RegisterLimits(), render));
  EXPECT_EQ(Rows(a.value().get(), "users"), 2);
  EXPECT_EQ(Rows(b.value().get(), "users"), 2);
  EXPECT_OK(store_a.Ping());
  EXPECT_OK(store_b.Ping());
}

// Connections opening one NEW file at once: switching it to WAL needs an
// exclusive lock, and SQLite answers BUSY without waiting when waiting
// could deadlock; Database::Open retries. Without the retry this failed
// about one round in fifteen, so it runs many rounds.
TEST(Database, ConnectionsOpeningOneNewFileAtOnceAllSucceed) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  constexpr int kRounds = 50;
  constexpr int kThreads = 8;
  for (int round = 0; round < kRounds; round++) {
    const std::string path = dir.File("race" + std::to_string(round) + ".db");
    std::vector<Status> results(kThreads);
    std::vector<int> versions(kThreads, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++) {
      threads.emplace_back([&, i] {
        Result<std::unique_ptr<Database>> db = Database::Open(path);
        results[i] = db.status();
        if (db.ok()) versions[i] = db.value()->user_version();
      });
    }
    for (std::thread& t : threads) t.join();
    for (int i = 0; i < kThreads; i++) {
      ASSERT_OK(results[i]) << "round " << round << ", connection " << i;
      ASSERT_EQ(versions[i], HighestMigration()) << "round " << round;
    }
  }
}

TEST(Database, OpeningAMissingFileWithoutCreateIsNotFound) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Result<std::unique_ptr<Database>> db =
      Database::Open(dir.File("missing.db"), /*create=*/false);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kNotFound);
}

// --- Register ----------------------------------------------------------------

TEST_F(StoreTest, ANewAddressGetsAnAccountATokenAndAVerificationJob) {
  Result<RegisterOutcome> r = Register("Ann@Example.com", "hash-1", "tok-1");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kVerify);
  EXPECT_GT(r.value().job_id, 0);
  EXPECT_EQ(rendered_, std::vector<MailKind>{MailKind::kVerify});

  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  EXPECT_EQ(Rows(db_.get(), "tokens"), 1);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 1);
  EXPECT_EQ(Counter(db_.get(), "registrations_total"), 1);

  EXPECT_EQ(QueryText(db_.get(), "SELECT email FROM users"), "Ann@Example.com");
  EXPECT_EQ(QueryText(db_.get(), "SELECT email_norm FROM users"),
            "ann@example.com");
  EXPECT_EQ(QueryInt(db_.get(), "SELECT verified_ms IS NULL FROM users"), 1);
  EXPECT_EQ(QueryText(db_.get(), "SELECT hash FROM tokens"),
            TokenHash("tok-1"));
  EXPECT_EQ(QueryInt(db_.get(), "SELECT expires_ms FROM tokens"),
            clock_.NowMs() + limits_.token_ttl_ms);
  EXPECT_EQ(QueryInt(db_.get(), "SELECT id FROM outbox"), r.value().job_id);
  EXPECT_EQ(QueryText(db_.get(), "SELECT kind FROM outbox"), "verify");
  EXPECT_EQ(QueryText(db_.get(), "SELECT rcpt FROM outbox"), "Ann@Example.com");
  EXPECT_EQ(QueryText(db_.get(), "SELECT state FROM outbox"), "queued");
  EXPECT_EQ(QueryInt(db_.get(), "SELECT next_attempt_ms FROM outbox"),
            clock_.NowMs() + limits_.sweep_grace_ms);
  EXPECT_EQ(QueryText(db_.get(), "SELECT event FROM outbox_events"), "queued");
}

TEST_F(StoreTest, TheSameAddressInAnotherCaseGetsANewTokenButNoSecondAccount) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  Result<RegisterOutcome> r = Register("ANN@EXAMPLE.COM", "hash-2", "tok-2");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kVerify);
  EXPECT_GT(r.value().job_id, 0);
  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  EXPECT_EQ(Rows(db_.get(), "tokens"), 2);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 2);
  EXPECT_EQ(Counter(db_.get(), "registrations_total"), 2);
  // The account keeps the first registration's password until a link is used.
  EXPECT_EQ(QueryText(db_.get(), "SELECT password_hash FROM users"), "hash-1");
  // The second mail goes where the second registration said.
  EXPECT_EQ(
      QueryText(
          db_.get(),
          "SELECT rcpt FROM outbox WHERE id = (SELECT max(id) FROM outbox)"),
      "ANN@EXAMPLE.COM");
}

TEST_F(StoreTest, AVerifiedAddressGetsAnAccountExistsNoticeAndNoToken) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  rendered_.clear();
  Result<RegisterOutcome> r = Register("Ann@example.com", "hash-2", "tok-2");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kExists);
  EXPECT_GT(r.value().job_id, 0);
  EXPECT_EQ(rendered_, std::vector<MailKind>{MailKind::kExists});
  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  EXPECT_EQ(Rows(db_.get(), "tokens"), 1);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 2);
  EXPECT_EQ(QueryText(db_.get(), "SELECT kind FROM outbox WHERE id = ?",
                      {std::to_string(r.value().job_id)}),
            "exists");
  EXPECT_EQ(QueryText(db_.get(), "SELECT password_hash FROM users"), "hash-1");
}

TEST_F(StoreTest, AThirdMailWithinTheHourIsCappedAndAnsweredAsUsual) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(60 * 1000);
  ASSERT_OK(Register("ann@example.com", "h", "tok-2"));
  rendered_.clear();
  Result<RegisterOutcome> capped = Register("ann@example.com", "h", "tok-3");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().kind, MailKind::kVerify);
  EXPECT_EQ(capped.value().job_id, 0);
  EXPECT_TRUE(rendered_.empty());
  EXPECT_EQ(Rows(db_.get(), "outbox"), 2);
  EXPECT_EQ(Counter(db_.get(), "mail_capped_total"), 1);
  EXPECT_EQ(Counter(db_.get(), "registrations_total"), 3);

  // An hour after the first two, mail flows again.
  clock_.AdvanceMs(3601 * 1000);
  Result<RegisterOutcome> later = Register("ann@example.com", "h", "tok-4");
  ASSERT_OK(later);
  EXPECT_GT(later.value().job_id, 0);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 3);
  EXPECT_EQ(Counter(db_.get(), "mail_capped_total"), 1);
}

TEST_F(StoreTest, TheCapCountsAMailboxOnceWhateverItsCaseOrPlusTag) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("Ann+news@Example.com", "h", "tok-2"));
  // Two accounts (the +tag makes another address), one mailbox.
  EXPECT_EQ(Rows(db_.get(), "users"), 2);
  for (const char* email : {"ANN@EXAMPLE.COM", "ann+x@example.com"}) {
    Result<RegisterOutcome> capped = Register(email, "h", email);
    ASSERT_OK(capped);
    EXPECT_EQ(capped.value().job_id, 0) << email;
  }
  EXPECT_EQ(Rows(db_.get(), "outbox"), 2);
  EXPECT_EQ(Counter(db_.get(), "mail_capped_total"), 2);
  // Another mailbox is not affected.
  Result<RegisterOutcome> other = Register("anne@example.com", "h", "tok-3");
  ASSERT_OK(other);
  EXPECT_GT(other.value().job_id, 0);
}

TEST_F(StoreTest, TheServiceWideCapStopsMailToEveryAddressForAnHour) {
  limits_.mail_cap = 0;
  limits_.mail_cap_total = 3;
  for (int i = 0; i < 3; i++) {
    Result<RegisterOutcome> r = Register(
        "user" + std::to_string(i) + "@example.com", "h", std::to_string(i));
    ASSERT_OK(r);
    EXPECT_GT(r.value().job_id, 0);
  }
  Result<RegisterOutcome> capped = Register("late@example.com", "h", "late");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 3);
  EXPECT_EQ(Counter(db_.get(), "mail_capped_service_total"), 1);
  EXPECT_EQ(Counter(db_.get(), "mail_capped_total"), 0);
  clock_.AdvanceMs(3601 * 1000);
  Result<RegisterOutcome> later = Register("later@example.com", "h", "later");
  ASSERT_OK(later);
  EXPECT_GT(later.value().job_id, 0);
}

TEST_F(StoreTest, TheCapAlsoHoldsForAVerifiedAccount) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  ASSERT_OK(Register("ann@example.com", "h", "tok-2"));
  Result<RegisterOutcome> capped = Register("ann@example.com", "h", "tok-3");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().kind, MailKind::kExists);
  EXPECT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 2);
}

TEST_F(StoreTest, MailCapZeroMeansNoCap) {
  limits_.mail_cap = 0;
  for (int i = 0; i < 6; i++) {
    Result<RegisterOutcome> r =
        Register("ann@example.com", "h", "tok-" + std::to_string(i));
    ASSERT_OK(r);
    EXPECT_GT(r.value().job_id, 0) << "registration " << i;
  }
  EXPECT_EQ(Rows(db_.get(), "outbox"), 6);
  EXPECT_EQ(Counter(db_.get(), "mail_capped_total"), 0);
}

TEST_F(StoreTest, TheCapCountsMailsPerAddressNotInTotal) {
  limits_.mail_cap = 1;
  Result<RegisterOutcome> a = Register("a@example.com", "h", "tok-a");
  Result<RegisterOutcome> b = Register("b@example.com", "h", "tok-b");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_GT(a.value().job_id, 0);
  EXPECT_GT(b.value().job_id, 0);
}

TEST_F(StoreTest, AFailingRendererLeavesNothingWrittenForANewAddress) {
  MailRenderer failing = [this](MailKind kind) -> Result<PreparedMail> {
    rendered_.push_back(kind);
    return Status::Internal("render failed");
  };
  Result<RegisterOutcome> r = store_->Register(
      Registration("ann@example.com", "h", "tok-1"), limits_, failing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_EQ(rendered_, std::vector<MailKind>{MailKind::kVerify});
  EXPECT_EQ(Rows(db_.get(), "users"), 0);
  EXPECT_EQ(Rows(db_.get(), "tokens"), 0);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 0);
  EXPECT_EQ(Rows(db_.get(), "outbox_events"), 0);
  EXPECT_EQ(Rows(db_.get(), "counters"), 0);

  // The transaction is closed: the next registration goes through.
  Result<RegisterOutcome> next = Register("ann@example.com", "h", "tok-2");
  ASSERT_OK(next);
  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  EXPECT_EQ(Counter(db_.get(), "registrations_total"), 1);
}

TEST_F(StoreTest, AFailingRendererLeavesNothingWrittenForAKnownAddress) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  MailRenderer failing = [](MailKind) -> Result<PreparedMail> {
    return Status::Unavailable("render busy");
  };
  Result<RegisterOutcome> r = store_->Register(
      Registration("ann@example.com", "h2", "tok-2"), limits_, failing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  EXPECT_EQ(Rows(db_.get(), "tokens"), 1);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 1);
  EXPECT_EQ(Counter(db_.get(), "registrations_total"), 1);
}

// --- CheckToken
// ----------------------------------------------------------------

TEST_F(StoreTest, CheckTokenOfAnUnknownTokenIsNotFound) {
  Result<TokenState> t = store_->CheckToken(TokenHash("nobody"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kNotFound);
}

TEST_F(StoreTest, CheckTokenIsValidUntilTheTtlAndGoneFromThen) {
  limits_.token_ttl_ms = 10 * 60 * 1000;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Result<TokenState> fresh = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh.value(), TokenState::kValid);

  clock_.AdvanceMs(limits_.token_ttl_ms - 1);
  Result<TokenState> last = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(last);
  EXPECT_EQ(last.value(), TokenState::kValid);

  clock_.AdvanceMs(1);
  Result<TokenState> expired = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), Code::kGone);
}

TEST_F(StoreTest, CheckTokenOfAUsedTokenIsUsedEvenAfterItExpires) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  Result<TokenState> used = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(used);
  EXPECT_EQ(used.value(), TokenState::kUsed);

  clock_.AdvanceMs(limits_.token_ttl_ms + 1);
  Result<TokenState> later = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(later);
  EXPECT_EQ(later.value(), TokenState::kUsed);
}

TEST_F(StoreTest, CheckTokenWritesNothing) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  const std::int64_t changes = sqlite3_total_changes(db_->raw());
  ASSERT_OK(store_->CheckToken(TokenHash("tok-1")));
  EXPECT_EQ(sqlite3_total_changes(db_->raw()), changes);
  EXPECT_EQ(QueryInt(db_.get(), "SELECT used_ms IS NULL FROM tokens"), 1);
}

// --- Activate
// ------------------------------------------------------------------

TEST_F(StoreTest, ActivateVerifiesTheAccountWithThePasswordOfThatRegistration) {
  ASSERT_OK(Register("ann@example.com", "hash-first", "tok-1"));
  clock_.AdvanceMs(1000);
  ASSERT_OK(Register("ann@example.com", "hash-second", "tok-2"));
  clock_.AdvanceMs(1000);
  const std::int64_t now = clock_.NowMs();
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  EXPECT_EQ(QueryInt(db_.get(), "SELECT verified_ms FROM users"), now);
  EXPECT_EQ(QueryText(db_.get(), "SELECT password_hash FROM users"),
            "hash-first");
  EXPECT_EQ(QueryInt(db_.get(), "SELECT used_ms FROM tokens WHERE hash = ?",
                     {TokenHash("tok-1")}),
            now);
  EXPECT_EQ(Counter(db_.get(), "activations_total"), 1);
}

TEST_F(StoreTest, ActivateTakesTheSecondPasswordWhenTheSecondLinkIsUsed) {
  ASSERT_OK(Register("ann@example.com", "hash-first", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "hash-second", "tok-2"));
  ASSERT_OK(store_->Activate(TokenHash("tok-2")));
  EXPECT_EQ(QueryText(db_.get(), "SELECT password_hash FROM users"),
            "hash-second");
}

TEST_F(StoreTest, ActivatingTheSameTokenTwiceIsOk) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Result<Activation> first = store_->Activate(TokenHash("tok-1"));
  ASSERT_OK(first);
  EXPECT_EQ(first.value(), Activation::kVerified);
  const std::int64_t verified =
      QueryInt(db_.get(), "SELECT verified_ms FROM users");
  clock_.AdvanceMs(5000);
  Result<Activation> again = store_->Activate(TokenHash("tok-1"));
  ASSERT_OK(again);
  EXPECT_EQ(again.value(), Activation::kAlreadyVerified);
  EXPECT_EQ(QueryInt(db_.get(), "SELECT verified_ms FROM users"), verified);
  EXPECT_EQ(Counter(db_.get(), "activations_total"), 1);
}

TEST_F(StoreTest, ActivatingAnExpiredTokenIsGoneAndVerifiesNothing) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(limits_.token_ttl_ms);
  Status s = store_->Activate(TokenHash("tok-1")).status();
  EXPECT_EQ(s.code(), Code::kGone) << s.ToString();
  EXPECT_EQ(QueryInt(db_.get(), "SELECT verified_ms IS NULL FROM users"), 1);
  EXPECT_EQ(QueryInt(db_.get(), "SELECT used_ms IS NULL FROM tokens"), 1);
}

TEST_F(StoreTest, ActivatingAnUnknownTokenIsNotFound) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Status s = store_->Activate(TokenHash("tok-unknown")).status();
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(QueryInt(db_.get(), "SELECT verified_ms IS NULL FROM users"), 1);
}

TEST_F(StoreTest, AnotherValidTokenOfAVerifiedAccountIsOkAndKeepsThePassword) {
  ASSERT_OK(Register("ann@example.com", "hash-first", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "hash-second", "tok-2"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  const std::int64_t verified =
      QueryInt(db_.get(), "SELECT verified_ms FROM users");
  clock_.AdvanceMs(1000);
  Result<Activation> other = store_->Activate(TokenHash("tok-2"));
  ASSERT_OK(other);
  EXPECT_EQ(other.value(), Activation::kAlreadyVerified);
  EXPECT_EQ(QueryText(db_.get(), "SELECT password_hash FROM users"),
            "hash-first");
  EXPECT_EQ(QueryInt(db_.get(), "SELECT verified_ms FROM users"), verified);
  EXPECT_EQ(Counter(db_.get(), "activations_total"), 1);
  Result<TokenState> second = store_->CheckToken(TokenHash("tok-2"));
  ASSERT_OK(second);
  EXPECT_EQ(second.value(), TokenState::kUsed);
}

TEST_F(StoreTest, PingAnswersOk) { EXPECT_OK(store_->Ping()); }

// --- retention ---------------------------------------------------------------

class RetentionTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    limits_.token_ttl_ms = 1000;
    policy_.unverified_ms = 10 * 1000;
    policy_.mail_body_ms = 5 * 1000;
  }
  RetentionResult Apply() {
    Result<RetentionResult> r = ApplyRetention(db_.get(), clock_, policy_);
    EXPECT_OK(r.status());
    return r.ok() ? r.value() : RetentionResult{};
  }
  // Marks every job sent now.
  void SendAll() {
    ASSERT_OK(db_->Exec(("UPDATE outbox SET state = 'sent', sent_ms = " +
                         std::to_string(clock_.NowMs()))
                            .c_str()));
  }
  RetentionPolicy policy_;
};

TEST_F(RetentionTest,
       AnUnverifiedAccountGoesWithItsTokensAndJobsAfterItsLastLink) {
  ASSERT_OK(Register("gone@example.com", "h", "tok-1"));
  clock_.AdvanceMs(500);
  ASSERT_OK(Register("gone@example.com", "h", "tok-2"));  // the last link
  SendAll();
  ASSERT_OK(
      db_->Exec("INSERT INTO outbox_events(job_id, at_ms, event) "
                "SELECT id, 0, 'sent' FROM outbox"));
  // The last link expires 1.5 s from the start; kept 10 s after that.
  clock_.AdvanceMs(1000 + 10 * 1000 - 1);
  EXPECT_EQ(Apply().accounts, 0);
  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  clock_.AdvanceMs(2);
  EXPECT_EQ(Apply().accounts, 1);
  for (const char* table : {"users", "tokens", "outbox", "outbox_events"})
    EXPECT_EQ(Rows(db_.get(), table), 0) << table;
  EXPECT_EQ(Counter(db_.get(), "retention_accounts_deleted_total"), 1);
  EXPECT_EQ(Apply().accounts, 0);  // nothing twice
}

TEST_F(RetentionTest, VerifiedAccountsAndUnsentJobsStay) {
  ASSERT_OK(Register("kept@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  ASSERT_OK(Register("queued@example.com", "h", "tok-2"));  // never sent
  clock_.AdvanceMs(3600 * 1000);
  EXPECT_EQ(Apply().accounts, 0);
  EXPECT_EQ(Rows(db_.get(), "users"), 2);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 2);
  EXPECT_EQ(Counter(db_.get(), "retention_accounts_deleted_total"), 0);
}

TEST_F(RetentionTest, ASentBodyGoesAfterItsTimeAndTheRowStays) {
  ASSERT_OK(Register("kept@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1")));
  SendAll();
  ASSERT_OK(Register("unsent@example.com", "h", "tok-2"));
  clock_.AdvanceMs(5 * 1000 - 1);
  EXPECT_EQ(Apply().mail_bodies, 0);
  clock_.AdvanceMs(2);
  EXPECT_EQ(Apply().mail_bodies, 1);
  EXPECT_EQ(QueryInt(db_.get(),
                     "SELECT count(*) FROM outbox WHERE state = "
                     "'sent' AND length(message) = 0"),
            1);
  EXPECT_EQ(QueryInt(db_.get(),
                     "SELECT count(*) FROM outbox WHERE state = "
                     "'queued' AND length(message) > 0"),
            1);
  EXPECT_EQ(Counter(db_.get(), "retention_mail_bodies_deleted_total"), 1);
  EXPECT_EQ(Apply().mail_bodies, 0);
}

}  // namespace
}  // namespace reg
