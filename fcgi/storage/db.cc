#include "storage/db.h"

#include <chrono>
#include <thread>

#include "storage/migrations.h"

namespace reg {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// Waits for another connection's write lock: every 0.1 ms for the first
// 10 ms (a commit usually takes less), then every 1 ms, up to
// kBusyTimeoutMs in all. SQLite's own busy_timeout sleeps 1, 2, 5 ... up to
// 100 ms between tries, which made request threads idle in sleeps while
// the lock was long free (measured: 80 % of their time under load).
int WaitForLock(void*, int tries) {
  const int waited_us =
      tries <= 100 ? tries * 100 : 10'000 + (tries - 100) * 1000;
  if (waited_us >= kBusyTimeoutMs * 1000) return 0;  // give up: SQLITE_BUSY
  std::this_thread::sleep_for(
      std::chrono::microseconds(tries < 100 ? 100 : 1000));
  return 1;
}

}  // namespace

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Status::Unavailable(msg);
  }
  return Status::Internal(msg);
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 bool create, bool sync_full) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);
  if (rc == SQLITE_CANTOPEN && !create) {
    return Status::NotFound("no database at \"" + path + "\"");
  }
  if (rc != SQLITE_OK) {
    return SqliteError(db.get(), rc, "open database \"" + path + "\"");
  }
  sqlite3_extended_result_codes(db.get(), 1);
  // Debian's build defaults to no busy wait at all (FACTS §5): set one first.
  rc = sqlite3_busy_handler(db.get(), WaitForLock, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "busy handler");
  std::unique_ptr<Database> database(new Database(std::move(db)));
  // WAL lets readers run beside the one writer. Switching a new file to
  // WAL needs an exclusive lock, and SQLite answers BUSY at once (no busy
  // wait) when another connection is opening the same new file: retry
  // until one of them has switched it, which lasts for the file.
  Status s;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(kBusyTimeoutMs);
  while (!(s = database->Exec("PRAGMA journal_mode=WAL")).ok() &&
         s.code() == Code::kUnavailable &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!s.ok()) return s;
  // FULL: a committed registration survives power loss (the default).
  s = database->Exec(
      sync_full ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                : "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  if (!s.ok()) return s;
  s = database->Migrate();
  if (!s.ok()) return s;
  return database;
}

Status Database::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status s = SqliteError(nullptr, rc, "exec");
    return Status(s.code(), "exec: " + msg);
  }
  return Status();
}

Status Database::Migrate() {
  // BEGIN IMMEDIATE serialises processes that start together; the loser
  // waits (busy_timeout), then finds the migrations already applied.
  Transaction txn(this);
  if (!txn.status().ok()) return txn.status();
  Status s;
  sqlite3_stmt* stmt = Prepare("PRAGMA user_version", &s);
  if (stmt == nullptr) return s;
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    return SqliteError(raw(), sqlite3_errcode(raw()), "read user_version");
  }
  user_version_ = static_cast<int>(sqlite3_column_int(stmt, 0));
  sqlite3_reset(stmt);
  for (int i = 0; i < kMigrationCount; i++) {
    const Migration& m = kMigrations[i];
    if (m.version <= user_version_) continue;
    s = Exec(m.sql);
    if (!s.ok())
      return Status(s.code(), std::string(m.name) + ": " + s.message());
    std::string pragma = "PRAGMA user_version=" + std::to_string(m.version);
    s = Exec(pragma.c_str());
    if (!s.ok()) return s;
    user_version_ = m.version;
  }
  return txn.Commit();
}

sqlite3_stmt* Database::Prepare(const char* sql, Status* status) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    sqlite3_stmt* stmt = it->second.get();
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
  }
  sqlite3_stmt* raw_stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                              &raw_stmt, nullptr);
  SqliteStmt stmt(raw_stmt);
  if (rc != SQLITE_OK) {
    *status = SqliteError(db_.get(), rc, "prepare");
    return nullptr;
  }
  sqlite3_stmt* result = stmt.get();
  stmts_.emplace(sql, std::move(stmt));
  return result;
}

Transaction::Transaction(Database* db) : db_(db) {
  status_ = db_->Exec("BEGIN IMMEDIATE");
  open_ = status_.ok();
}

Transaction::~Transaction() {
  if (open_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (!open_)
    return status_.ok() ? Status::Internal("commit: not open") : status_;
  Status s = db_->Exec("COMMIT");
  if (s.ok()) open_ = false;  // on failure the destructor rolls back
  return s;
}

Binder& Binder::Int(std::int64_t v) {
  if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, index_, v);
  index_++;
  return *this;
}

Binder& Binder::Text(std::string_view v) {
  if (rc_ == SQLITE_OK) {
    rc_ = sqlite3_bind_text64(stmt_, index_, v.data(), v.size(),
                              SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  index_++;
  return *this;
}

Binder& Binder::Blob(std::string_view v) {
  if (rc_ == SQLITE_OK) {
    rc_ = sqlite3_bind_blob64(stmt_, index_, v.data(), v.size(),
                              SQLITE_TRANSIENT);
  }
  index_++;
  return *this;
}

Binder& Binder::Null() {
  if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(stmt_, index_);
  index_++;
  return *this;
}

std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const void* p = sqlite3_column_blob(stmt, col);
  int n = sqlite3_column_bytes(stmt, col);
  if (p == nullptr || n <= 0) return std::string();
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

std::int64_t ColumnInt(sqlite3_stmt* stmt, int col) {
  return sqlite3_column_int64(stmt, col);
}

bool ColumnIsNull(sqlite3_stmt* stmt, int col) {
  return sqlite3_column_type(stmt, col) == SQLITE_NULL;
}

}  // namespace reg
