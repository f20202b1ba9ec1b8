// The SQLite engine's own SQL and concurrency: its migrations and file
// handling, its write lane, and what only its SQL shows (no write on a
// read, the scrape answered from indexes). The storage contract both
// engines keep is in engine_*_test.cc.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_fixture.h"
#include "storage/migrations.h"

namespace reg {
namespace {

int HighestMigration() {
  int highest = 0;
  for (int i = 0; i < kMigrationCount; i++) {
    if (kMigrations[i].version > highest) highest = kMigrations[i].version;
  }
  return highest;
}

class SqliteEngineTest : public SqliteFixture {
 protected:
  StoreTotals Totals() {
    Result<StoreTotals> t = store_->Totals();
    EXPECT_OK(t);
    return t.ok() ? t.value() : StoreTotals();
  }
  // Bumped by every commit of another connection to the file.
  std::int64_t DataVersion() {
    return QueryInt(db_.get(), "PRAGMA data_version");
  }

  // The mails, with fresh Message-IDs (the column is UNIQUE).
  RegistrationMails Mails() {
    const std::string n = std::to_string(++mails_);
    return {{"<v" + n + "@test>", "sealed-" + n},
            {"<e" + n + "@test>", "exists-" + n},
            {"<n" + n + "@test>", "no-account-" + n}};
  }

  Result<RegisterOutcome> Register(const std::string& email,
                                   const std::string& password_hash,
                                   const std::string& token) {
    return store_->Register(Registration(email, password_hash, token), limits_,
                            Mails());
  }

  RegisterLimits limits_;
  int mails_ = 0;
};

// --- Database::Open and migrations ------------------------------------------

TEST_F(SqliteEngineTest, AFreshFileReachesTheHighestMigration) {
  EXPECT_GT(kMigrationCount, 0);
  EXPECT_EQ(db_->user_version(), HighestMigration());
  EXPECT_EQ(QueryInt(db_.get(), "PRAGMA user_version"), HighestMigration());
  EXPECT_EQ(QueryText(db_.get(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(db_.get(), "PRAGMA foreign_keys"), 1);
}

TEST_F(SqliteEngineTest, OpeningAMigratedFileAgainChangesNothing) {
  ASSERT_OK(Register("a@example.com", "hash-a", "token-a"));
  Open();
  EXPECT_EQ(db_->user_version(), HighestMigration());
  EXPECT_EQ(Rows(db_.get(), "users"), 1);
  EXPECT_EQ(Rows(db_.get(), "tokens"), 1);
  EXPECT_EQ(Rows(db_.get(), "outbox"), 1);
  EXPECT_EQ(Totals().registrations, 1);
}

// A database written by the code before migration 003 keeps its queued
// mail: the sealed message moves to outbox_messages.
TEST(Database, Migration003MovesTheMessagesOutOfTheJobRows) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("old.db").c_str(), &raw), SQLITE_OK);
    SqliteDb old(raw);
    ASSERT_STREQ(kMigrations[0].name, "001_init.sql");
    ASSERT_EQ(
        sqlite3_exec(old.get(), kMigrations[0].sql, nullptr, nullptr, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(
                  old.get(),
                  "PRAGMA user_version=1;"
                  "INSERT INTO users(id, email, email_norm, password_hash, "
                  "created_ms) VALUES(1, 'a@b.c', 'a@b.c', 'h', 1);"
                  "INSERT INTO outbox(id, user_id, kind, rcpt, message_id, "
                  "message, created_ms, next_attempt_ms) "
                  "VALUES(7, 1, 'verify', 'a@b.c', '<7@x>', 'sealed-7', 1, 1);",
                  nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  FakeClock clock;
  Result<std::unique_ptr<SqliteStorage>> storage =
      SqliteStorage::Open(dir.File("old.db"), true, true, &clock, {});
  ASSERT_OK(storage);
  Result<std::unique_ptr<Outbox>> outbox = storage.value()->NewOutbox();
  ASSERT_OK(outbox);
  Result<ClaimOutcome> claim = outbox.value()->Claim(7);
  ASSERT_OK(claim);
  ASSERT_TRUE(claim.value().job.has_value());
  EXPECT_EQ(claim.value().job->sealed, "sealed-7");
  EXPECT_EQ(claim.value().job->rcpt, "a@b.c");
}

// A database at migration 002 (mailbox and retention), as the release
// before the write lane left it: a body retention emptied gets no row in
// outbox_messages, a kept one moves there, the mailbox column stays.
TEST(Database, AFileAtMigration002MigratesWithItsEmptiedBodies) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("old.db").c_str(), &raw), SQLITE_OK);
    SqliteDb old(raw);
    ASSERT_STREQ(kMigrations[1].name, "002_mailbox_retention.sql");
    for (int i = 0; i < 2; i++) {
      ASSERT_EQ(sqlite3_exec(old.get(), kMigrations[i].sql, nullptr, nullptr,
                             nullptr),
                SQLITE_OK)
          << kMigrations[i].name;
    }
    ASSERT_EQ(
        sqlite3_exec(
            old.get(),
            "PRAGMA user_version=2;"
            "INSERT INTO users(id, email, email_norm, password_hash, "
            "created_ms) VALUES(1, 'a@b.c', 'a@b.c', 'h', 1);"
            "INSERT INTO outbox(id, user_id, kind, rcpt, message_id, "
            "message, created_ms, next_attempt_ms, mailbox, state, sent_ms) "
            "VALUES(6, 1, 'verify', 'a@b.c', '<6@x>', X'', 1, 1, 'a@b.c', "
            "'sent', 2);"
            "INSERT INTO outbox(id, user_id, kind, rcpt, message_id, "
            "message, created_ms, next_attempt_ms, mailbox) "
            "VALUES(7, 1, 'verify', 'a@b.c', '<7@x>', 'sealed-7', 1, 1, "
            "'a@b.c');"
            // Counted by the release before: one more registration and
            // sent mail than the rows show (retention deleted them).
            "INSERT INTO counters(name, value) "
            "VALUES('retention_mail_bodies_deleted_total', 1), "
            "('registrations_total', 3), ('mail_sent_total', 2), "
            "('mail_delivery_seconds_count', 2), "
            "('mail_delivery_seconds_bucket{le=\"0.05\"}', 2), "
            "('mail_retries_total{reason=\"timeout\"}', 4);",
            nullptr, nullptr, nullptr),
        SQLITE_OK);
  }
  FakeClock clock;
  Result<std::unique_ptr<SqliteStorage>> storage =
      SqliteStorage::Open(dir.File("old.db"), true, true, &clock, {});
  ASSERT_OK(storage);
  Result<std::unique_ptr<Database>> db = Database::Open(dir.File("old.db"));
  ASSERT_OK(db);
  EXPECT_EQ(db.value()->user_version(), HighestMigration());
  EXPECT_EQ(QueryInt(db.value().get(),
                     "SELECT group_concat(job_id) FROM outbox_messages"),
            7);
  EXPECT_EQ(
      QueryText(db.value().get(), "SELECT mailbox FROM outbox WHERE id = 7"),
      "a@b.c");
  Result<std::unique_ptr<Store>> store = storage.value()->NewStore();
  ASSERT_OK(store);
  Result<StoreTotals> totals = store.value()->Totals();
  ASSERT_OK(totals);
  EXPECT_EQ(totals.value().registrations, 3);
  EXPECT_EQ(totals.value().retention_mail_bodies, 1);
  Result<std::unique_ptr<Outbox>> outbox = storage.value()->NewOutbox();
  ASSERT_OK(outbox);
  Result<OutboxStats> stats = outbox.value()->Stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats.value().sent_total, 2);
  EXPECT_EQ(stats.value().delivered, 2);
  EXPECT_EQ(stats.value().delivered_within[0], 2);
  EXPECT_EQ(
      stats.value().retries,
      (std::vector<std::pair<std::string, std::int64_t>>{{"timeout", 4}}));
  Result<ClaimOutcome> claim = outbox.value()->Claim(7);
  ASSERT_OK(claim);
  ASSERT_TRUE(claim.value().job.has_value());
  EXPECT_EQ(claim.value().job->sealed, "sealed-7");
}

// Two processes on one file: each has its own engine and write lane.
TEST(Database, TwoEnginesOnOneNewFileBothWork) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  FakeClock clock;
  Result<std::unique_ptr<SqliteStorage>> a =
      SqliteStorage::Open(dir.File("two.db"), true, true, &clock, {});
  Result<std::unique_ptr<SqliteStorage>> b =
      SqliteStorage::Open(dir.File("two.db"), true, true, &clock, {});
  ASSERT_OK(a);
  ASSERT_OK(b);
  Result<std::unique_ptr<Store>> store_a = a.value()->NewStore();
  Result<std::unique_ptr<Store>> store_b = b.value()->NewStore();
  ASSERT_OK(store_a);
  ASSERT_OK(store_b);
  ASSERT_OK(store_a.value()->Register(Registration("a@example.com", "h", "ta"),
                                      RegisterLimits(),
                                      {{"<1@two>", "x"}, {"<2@two>", "y"}, {"<1n@two>", "z"}}));
  ASSERT_OK(store_b.value()->Register(Registration("b@example.com", "h", "tb"),
                                      RegisterLimits(),
                                      {{"<3@two>", "x"}, {"<4@two>", "y"}, {"<3n@two>", "z"}}));
  Result<StoreTotals> seen_by_a = store_a.value()->Totals();
  ASSERT_OK(seen_by_a);
  EXPECT_EQ(seen_by_a.value().registrations, 2);
  EXPECT_OK(store_a.value()->Ping());
  EXPECT_OK(store_b.value()->Ping());
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

// --- Reads write nothing
// ------------------------------------------------------ (PRAGMA data_version:
// bumped by every commit of another connection)

TEST_F(SqliteEngineTest, CheckTokenWritesNothing) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  const std::int64_t version = DataVersion();
  ASSERT_OK(store_->CheckToken(TokenHash("tok-1")));
  EXPECT_EQ(DataVersion(), version);
  EXPECT_EQ(QueryInt(db_.get(), "SELECT used_ms IS NULL FROM tokens"), 1);
}

TEST_F(SqliteEngineTest, ActivatingAnUnknownExpiredOrUsedTokenWritesNothing) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("bob@example.com", "h", "tok-2"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  const std::int64_t version = DataVersion();
  EXPECT_EQ(store_->Activate(TokenHash("random"), {}).status().code(),
            Code::kNotFound);
  Result<ActivateOutcome> used = store_->Activate(TokenHash("tok-1"), {});
  ASSERT_OK(used);
  EXPECT_EQ(used.value().state, Activation::kAlreadyVerified);
  clock_.AdvanceMs(limits_.token_ttl_ms);
  EXPECT_EQ(store_->Activate(TokenHash("tok-2"), {}).status().code(),
            Code::kGone);
  EXPECT_EQ(DataVersion(), version);
}

// --- The write lane
// ------------------------------------------------------------

// A piece that fails inside the transaction rolls back its own writes only.
TEST_F(SqliteEngineTest, AFailureInsideABatchRollsBackOnlyThatPiece) {
  Result<std::unique_ptr<WriteLane>> lane = WriteLane::Open(path(), true, true);
  ASSERT_OK(lane);
  ASSERT_OK(lane.value()->Run(Durability::kDurable, [](SqliteTxn& txn) {
    return txn.db().Exec("INSERT INTO counters(name, value) VALUES('kept', 1)");
  }));
  Status failed =
      lane.value()->Run(Durability::kRelaxed, [](SqliteTxn& txn) -> Status {
        Status s = txn.db().Exec(
            "INSERT INTO counters(name, value) VALUES('undone', 1)");
        if (!s.ok()) return s;
        return Status::Internal("changed my mind");
      });
  EXPECT_EQ(failed.code(), Code::kInternal);
  EXPECT_EQ(QueryInt(db_.get(),
                     "SELECT count(*) FROM counters "
                     "WHERE name IN ('kept', 'undone')"),
            1);
}

// --- The scrape's queries
// ------------------------------------------------------

TEST_F(SqliteEngineTest, AScrapeReadsIndexesNotTheJobRows) {
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

}  // namespace
}  // namespace reg
