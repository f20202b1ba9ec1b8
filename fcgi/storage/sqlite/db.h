// Database: one SQLite connection with the project's settings, migrations
// and a prepared-statement cache; Stmt, the one way a statement is run.
#ifndef FCGI_STORAGE_SQLITE_DB_H_
#define FCGI_STORAGE_SQLITE_DB_H_

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

// One connection. Not thread-safe: used by one thread at a time.
class Database {
 public:
  // Opens (or, with "create", creates) the file at "path" with WAL, a busy
  // wait of up to 5 s and foreign keys on, then applies pending migrations
  // (safe when several processes start at once; "migrate" false leaves
  // that to another connection). "sync_full" chooses synchronous=FULL (a
  // commit survives power loss) over NORMAL (it survives a crash of the
  // process, not of the machine). A missing file without "create" is
  // kNotFound. "vfs" names the SQLite VFS to open it with (nullptr: the
  // default; the write lane's is wal_vfs.h's).
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                bool create = true,
                                                bool sync_full = true,
                                                bool migrate = true,
                                                const char* vfs = nullptr);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results.
  Status Exec(const char* sql);

  // Sets synchronous=FULL or NORMAL for the next commits (outside a
  // transaction). Does nothing when it is already so.
  Status SetSyncFull(bool full);

  sqlite3* raw() const { return db_.get(); }
  int user_version() const { return user_version_; }

 private:
  friend class Stmt;
  explicit Database(SqliteDb db) : db_(std::move(db)) {}
  Status Migrate();
  // The cached statement for "sql" (by address), prepared on first use.
  sqlite3_stmt* Prepare(const char* sql, Status* status);

  SqliteDb db_;
  int user_version_ = 0;
  bool sync_full_ = true;
  std::map<const char*, SqliteStmt> stmts_;
};

// A read connection opened on first use, so that threads that only write
// (through the WriteLane) never hold one. Not thread-safe.
class Reader {
 public:
  Reader(std::string path, bool sync_full)
      : path_(std::move(path)), sync_full_(sync_full) {}
  // The connection, opened now if it is not yet.
  Result<Database*> Get();

 private:
  const std::string path_;
  const bool sync_full_;
  std::unique_ptr<Database> db_;
};

// One use of a cached prepared statement: bind in order (every bind's
// return code checked; the first failure is what Step/Run return), step,
// read the row's columns. Reset and unbound when it goes out of scope, so
// no statement stays open. "sql" must be a string literal (the cache keys
// on its address); "what" names the statement in errors.
//   Stmt find(db, "find account", "SELECT id FROM users WHERE email = ?");
//   find.Text(email);
//   Result<bool> row = find.Step();   // true: a row; false: done
class Stmt {
 public:
  Stmt(Database& db, const char* what, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Int(std::int64_t v);
  Stmt& Text(std::string_view v);
  Stmt& Blob(std::string_view v);
  Stmt& Null();
  Stmt& TextOrNull(std::string_view v);  // NULL when empty

  // One step: true with a row to read, false when done.
  Result<bool> Step();
  // Steps to the end; a statement that returns rows is an error here.
  Status Run();

  std::int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;  // "" for NULL
  bool ColumnIsNull(int col) const;

  // Rows changed by the last Run/Step of this connection, and its last
  // inserted rowid.
  int changes() const;
  std::int64_t last_insert_id() const;

 private:
  Stmt& Bound(int rc);

  Database& db_;
  const char* what_;
  Status status_;  // before stmt_: Prepare reports into it
  sqlite3_stmt* stmt_;
  int index_ = 1;
};

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_DB_H_
