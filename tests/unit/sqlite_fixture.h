// The SQLite engine on a temp file for the tests of its own SQL and
// concurrency (sqlite_engine_test.cc): a Store and an Outbox as a request
// thread has them, a FakeClock, and a connection of the test's own for
// checking rows. The contract both engines keep is tested through
// engine_fixture.h, without SQL.
#ifndef TESTS_UNIT_SQLITE_FIXTURE_H_
#define TESTS_UNIT_SQLITE_FIXTURE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/token.h"
#include "engine_fixture.h"  // Registration, kSecond...
#include "storage/sqlite/db.h"
#include "storage/sqlite/engine.h"
#include "testutil.h"

namespace reg {

// The first column of the first row of "sql", with "text" bound to every
// '?' in order; -1 / "" (and a test failure) when there is no row.
std::int64_t QueryInt(Database* db, const std::string& sql,
                      const std::vector<std::string>& text = {});
std::string QueryText(Database* db, const std::string& sql,
                      const std::vector<std::string>& text = {});
std::int64_t Rows(Database* db, const std::string& table);

// A SQLite engine made at "path", with a Store and an Outbox as a request
// thread has them.
struct SqliteParts {
  std::unique_ptr<SqliteStorage> storage;
  std::unique_ptr<Store> store;
  std::unique_ptr<Outbox> outbox;
};
Result<SqliteParts> OpenSqliteParts(const std::string& path, const Clock* clock,
                                    const OutboxPolicy& policy);

class SqliteFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // (Re)opens the engine on the same file.
  void Open();
  std::string path() const { return dir_.File("reg.db"); }

  TempDir dir_;
  FakeClock clock_;
  OutboxPolicy policy_;
  std::unique_ptr<SqliteStorage> storage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Database> db_;  // the test's own, for checks
};

}  // namespace reg

#endif  // TESTS_UNIT_SQLITE_FIXTURE_H_
