#include "sqlite_fixture.h"

namespace reg {
namespace {

SqliteStmt Prepared(Database* db, const std::string& sql,
                    const std::vector<std::string>& text) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db->raw(), sql.c_str(), -1, &raw, nullptr);
  SqliteStmt stmt(raw);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db->raw()) << " in " << sql;
  if (rc != SQLITE_OK) return nullptr;
  for (size_t i = 0; i < text.size(); i++) {
    sqlite3_bind_text(stmt.get(), static_cast<int>(i + 1), text[i].c_str(), -1,
                      SQLITE_TRANSIENT);
  }
  return stmt;
}

}  // namespace

std::int64_t QueryInt(Database* db, const std::string& sql,
                      const std::vector<std::string>& text) {
  SqliteStmt stmt = Prepared(db, sql, text);
  if (!stmt) return -1;
  const int rc = sqlite3_step(stmt.get());
  EXPECT_EQ(rc, SQLITE_ROW) << sql;
  return rc == SQLITE_ROW ? sqlite3_column_int64(stmt.get(), 0) : -1;
}

std::string QueryText(Database* db, const std::string& sql,
                      const std::vector<std::string>& text) {
  SqliteStmt stmt = Prepared(db, sql, text);
  if (!stmt) return "";
  const int rc = sqlite3_step(stmt.get());
  EXPECT_EQ(rc, SQLITE_ROW) << sql;
  if (rc != SQLITE_ROW) return "";
  const unsigned char* p = sqlite3_column_text(stmt.get(), 0);
  return p != nullptr ? reinterpret_cast<const char*>(p) : "";
}

std::int64_t Rows(Database* db, const std::string& table) {
  return QueryInt(db, "SELECT count(*) FROM " + table);
}

Result<SqliteParts> OpenSqliteParts(const std::string& path, const Clock* clock,
                                    const OutboxPolicy& policy) {
  SqliteParts parts;
  Result<std::unique_ptr<SqliteStorage>> storage =
      SqliteStorage::Open(path, true, true, clock, policy);
  if (!storage.ok()) return storage.status();
  parts.storage = std::move(storage).value();
  Result<std::unique_ptr<Store>> store = parts.storage->NewStore();
  if (!store.ok()) return store.status();
  parts.store = std::move(store).value();
  Result<std::unique_ptr<Outbox>> outbox = parts.storage->NewOutbox();
  if (!outbox.ok()) return outbox.status();
  parts.outbox = std::move(outbox).value();
  return parts;
}

void SqliteFixture::Open() {
  ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
  store_.reset();
  outbox_.reset();
  storage_.reset();
  db_.reset();
  Result<SqliteParts> parts = OpenSqliteParts(path(), &clock_, policy_);
  ASSERT_OK(parts);
  storage_ = std::move(parts.value().storage);
  store_ = std::move(parts.value().store);
  outbox_ = std::move(parts.value().outbox);
  Result<std::unique_ptr<Database>> db = Database::Open(path());
  ASSERT_OK(db);
  db_ = std::move(db).value();
}

}  // namespace reg
