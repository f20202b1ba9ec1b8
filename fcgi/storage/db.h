// Database: one SQLite connection with the project's settings, migrations,
// a prepared-statement cache and a Transaction guard.
#ifndef FCGI_STORAGE_DB_H_
#define FCGI_STORAGE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/handles.h"
#include "base/status.h"

namespace reg {

using SqliteDb = std::unique_ptr<sqlite3, Deleter<sqlite3_close_v2>>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, Deleter<sqlite3_finalize>>;

// Translates an SQLite result code into a Status, naming what was tried.
// SQLITE_BUSY/LOCKED become kUnavailable; everything else kInternal.
Status SqliteError(sqlite3* db, int rc, std::string_view context);

// One connection. Not thread-safe: one Database per thread.
class Database {
 public:
  // Opens (or, with "create", creates) the file at "path" with WAL, a busy
  // wait of up to 5 s and foreign keys on, then applies pending migrations
  // (safe when several processes start at once). "sync_full" chooses
  // synchronous=FULL (a commit survives power loss) over NORMAL (it
  // survives a crash of the process, not of the machine).
  // A missing file without "create" is kNotFound.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                bool create = true,
                                                bool sync_full = true);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A cached prepared statement for "sql", reset and unbound, or nullptr
  // with *status set. The pointer stays owned by the Database.
  sqlite3_stmt* Prepare(const char* sql, Status* status);

  // Runs one or more statements without results.
  Status Exec(const char* sql);

  sqlite3* raw() const { return db_.get(); }
  int user_version() const { return user_version_; }

 private:
  explicit Database(SqliteDb db) : db_(std::move(db)) {}
  Status Migrate();

  SqliteDb db_;
  int user_version_ = 0;
  std::map<const char*, SqliteStmt> stmts_;
};

// BEGIN IMMEDIATE on construction (check status()); ROLLBACK on destruction
// unless Commit() succeeded. Copying is disabled.
class Transaction {
 public:
  explicit Transaction(Database* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& status() const { return status_; }
  Status Commit();

 private:
  Database* db_;
  Status status_;
  bool open_ = false;
};

// Binds values to "stmt" by position (1-based), in order.
// REQUIRES: stmt came from Database::Prepare.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Binder& Int(std::int64_t v);
  Binder& Text(std::string_view v);
  Binder& Blob(std::string_view v);
  Binder& Null();
  // SQLITE_OK unless a bind failed.
  int rc() const { return rc_; }

 private:
  sqlite3_stmt* stmt_;
  int index_ = 1;
  int rc_ = SQLITE_OK;
};

// Column helpers.
std::string ColumnText(sqlite3_stmt* stmt, int col);
std::int64_t ColumnInt(sqlite3_stmt* stmt, int col);
bool ColumnIsNull(sqlite3_stmt* stmt, int col);

}  // namespace reg

#endif  // FCGI_STORAGE_DB_H_
