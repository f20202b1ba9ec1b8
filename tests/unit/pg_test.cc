// The libpq layer against a real PostgreSQL 15 (tests/pg_server.h).
#include "storage/postgres/pg.h"

#include <chrono>
#include <thread>

#include "pg_server.h"
#include "testutil.h"

namespace reg {
namespace {

class PgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = &PgServer::Shared();
    if (server_->ok()) url_ = server_->CreateDatabase("pg_test");
  }
  void SetUp() override {
    ASSERT_TRUE(server_->ok())
        << "PostgreSQL did not start; see " << server_->log();
    ASSERT_FALSE(url_.empty()) << "createdb failed";
  }
  std::unique_ptr<PgConnection> Connect() {
    Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(url_);
    EXPECT_OK(conn);
    return conn.ok() ? std::move(conn).value() : nullptr;
  }

  static PgServer* server_;
  static std::string url_;
};
PgServer* PgTest::server_ = nullptr;
std::string PgTest::url_;

TEST_F(PgTest, QueryBindsTextIntegersAndNullAsParameters) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  Result<PgRows> rows =
      conn->Query("SELECT $1::text, $2::bigint + 1, $3::text IS NULL",
                  {"it's; DROP TABLE x", std::int64_t{1} << 40, PgParam()});
  ASSERT_OK(rows);
  ASSERT_EQ(rows.value().size(), 1);
  EXPECT_EQ(rows.value().Text(0, 0), "it's; DROP TABLE x");
  EXPECT_EQ(rows.value().Int(0, 1), (std::int64_t{1} << 40) + 1);
  EXPECT_EQ(rows.value().Text(0, 2), "t");
}

TEST_F(PgTest, AnUnreachableServerIsUnavailable) {
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(
      "postgresql://registrar@127.0.0.1:" + std::to_string(FreePort()) +
      "/pg_test");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Code::kUnavailable)
      << conn.status().ToString();
}

TEST_F(PgTest, AMalformedUrlIsRefusedNamingTheSetting) {
  Result<std::unique_ptr<PgConnection>> conn =
      PgConnection::Open("postgresql://[::1");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(conn.status().message(), ::testing::HasSubstr("DATABASE_URL"));
}

TEST_F(PgTest, AUniqueViolationNamesItsSqlStateButNotTheValue) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_OK(conn->Exec("CREATE TABLE uniq (email text UNIQUE)"));
  ASSERT_OK(conn->Query("INSERT INTO uniq VALUES ($1)", {"ada@example.com"}));
  Result<PgRows> again =
      conn->Query("INSERT INTO uniq VALUES ($1)", {"ada@example.com"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kInternal);
  EXPECT_THAT(again.status().message(), ::testing::HasSubstr("23505"));
  EXPECT_THAT(again.status().message(),
              ::testing::Not(::testing::HasSubstr("ada@example.com")));
}

TEST_F(PgTest, ATransactionRollsBackUnlessCommitted) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_OK(conn->Exec("CREATE TABLE tx (n int)"));
  {
    PgTransaction tx(conn.get());
    ASSERT_OK(tx.status());
    ASSERT_OK(conn->Query("INSERT INTO tx VALUES (1)"));
  }
  {
    PgTransaction tx(conn.get());
    ASSERT_OK(tx.status());
    ASSERT_OK(conn->Query("INSERT INTO tx VALUES (2)"));
    ASSERT_OK(tx.Commit());
  }
  Result<PgRows> rows = conn->Query("SELECT n FROM tx");
  ASSERT_OK(rows);
  ASSERT_EQ(rows.value().size(), 1);
  EXPECT_EQ(rows.value().Int(0, 0), 2);
}

// Two hosts starting at once: each migration runs exactly once.
TEST_F(PgTest, MigrationsRacingFromTwoConnectionsApplyEachOnce) {
  static const Migration kSteps[] = {
      {1, "001_a.sql", "CREATE TABLE mig_a (n int)"},
      {2, "002_b.sql",
       "CREATE TABLE mig_b (n int); INSERT INTO mig_a VALUES (2)"},
  };
  Status results[2];
  std::thread racers[2];
  for (int i = 0; i < 2; i++) {
    racers[i] = std::thread([&, i] {
      auto conn = PgConnection::Open(url_);
      results[i] =
          conn.ok() ? PgMigrate(conn.value().get(), kSteps, 2) : conn.status();
    });
  }
  for (std::thread& t : racers) t.join();
  EXPECT_OK(results[0]);
  EXPECT_OK(results[1]);
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  Result<PgRows> rows = conn->Query(
      "SELECT (SELECT count(*) FROM mig_a),"
      " (SELECT max(version) FROM schema_version)");
  ASSERT_OK(rows);
  EXPECT_EQ(rows.value().Int(0, 0), 1);
  EXPECT_EQ(rows.value().Int(0, 1), 2);
  // And a later start finds nothing left to do.
  EXPECT_OK(PgMigrate(conn.get(), kSteps, 2));
}

// While the server is away: kUnavailable at once; once it is back, the
// same connection carries on by itself. Work cut off mid-transaction is
// never reported as committed.
TEST_F(PgTest, SessionsGetTimeoutsThatDatabaseUrlCanOverride) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  Result<PgRows> rows = conn->Query(
      "SELECT current_setting('statement_timeout') || ' ' || "
      "current_setting('lock_timeout') || ' ' || "
      "current_setting('idle_in_transaction_session_timeout')");
  ASSERT_OK(rows);
  EXPECT_EQ(rows.value().Text(0, 0), "7s 3s 10s");
  // DATABASE_URL's own options come after ours: they win, the rest stays.
  Result<std::unique_ptr<PgConnection>> own = PgConnection::Open(
      url_ + "?options=-c%20statement_timeout%3D9s%20-c%20search_path%3Dpublic");
  ASSERT_OK(own);
  rows = own.value()->Query(
      "SELECT current_setting('statement_timeout') || ' ' || "
      "current_setting('lock_timeout') || ' ' || "
      "current_setting('search_path')");
  ASSERT_OK(rows);
  EXPECT_EQ(rows.value().Text(0, 0), "9s 3s public");
}

TEST_F(PgTest, AnAdvisoryLockHeldElsewhereIsWaitedForAtMostTheLockTimeout) {
  auto holder = Connect();
  auto waiter = Connect();
  ASSERT_NE(holder, nullptr);
  ASSERT_NE(waiter, nullptr);
  PgTransaction held(holder.get());
  ASSERT_OK(held.status());
  ASSERT_OK(holder->Query("SELECT pg_advisory_xact_lock(hashtext($1))",
                          {"mailbox@example.com"}));
  PgTransaction waiting(waiter.get());
  ASSERT_OK(waiting.status());
  const auto start = std::chrono::steady_clock::now();
  Result<PgRows> r = waiter->Query(
      "SELECT pg_advisory_xact_lock(hashtext($1))", {"mailbox@example.com"});
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_FALSE(r.ok());
  // lock_timeout (3 s): a 503 to try again, never a 500.
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("55P03"), std::string::npos);
  EXPECT_GE(waited, 2.9);
  EXPECT_LT(waited, 4.5);
}

TEST_F(PgTest, ALostServerIsUnavailableThenTheConnectionComesBack) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_OK(conn->Exec("CREATE TABLE lost (n int)"));
  auto in_tx = Connect();
  ASSERT_NE(in_tx, nullptr);
  PgTransaction tx(in_tx.get());
  ASSERT_OK(tx.status());
  ASSERT_OK(in_tx->Query("INSERT INTO lost VALUES (1)"));

  ASSERT_TRUE(server_->Stop());
  Result<PgRows> down = conn->Query("SELECT 1");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Code::kUnavailable);
  ASSERT_TRUE(server_->Start());

  Status commit = tx.Commit();
  EXPECT_EQ(commit.code(), Code::kUnavailable) << commit.ToString();
  EXPECT_TRUE(WaitFor([&] { return conn->Query("SELECT 1").ok(); },
                      std::chrono::seconds(30)));
  Result<PgRows> rows = conn->Query("SELECT count(*) FROM lost");
  ASSERT_OK(rows);
  EXPECT_EQ(rows.value().Int(0, 0), 0);
  // A transaction on a connection dropped while idle starts on a new one.
  PgTransaction next(in_tx.get());
  EXPECT_OK(next.status());
}

}  // namespace
}  // namespace reg
