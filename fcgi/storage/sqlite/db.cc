#include "storage/sqlite/db.h"

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
                                                 bool create, bool sync_full,
                                                 bool migrate,
                                                 const char* vfs) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  SqliteDb db(raw);
  if (rc == SQLITE_CANTOPEN && !create) {
    return Status::NotFound("no database at \"" + path + "\"");
  }
  if (rc != SQLITE_OK) {
    return SqliteError(db.get(), rc, "open database \"" + path + "\"");
  }
  sqlite3_extended_result_codes(db.get(), 1);
  // SQLite waits for no lock unless told to (busy timeout 0): set a wait.
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
  s = database->Exec(sync_full ? "PRAGMA synchronous=FULL"
                               : "PRAGMA synchronous=NORMAL");
  if (!s.ok()) return s;
  database->sync_full_ = sync_full;
  // Migrations run with foreign keys off (SQLite's default): one that
  // rebuilds a table others refer to could not drop it otherwise. Migrate
  // checks them before it commits; from then on they are enforced.
  if (migrate) {
    s = database->Migrate();
    if (!s.ok()) return s;
  }
  s = database->Exec("PRAGMA foreign_keys=ON");
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

Status Database::SetSyncFull(bool full) {
  if (full == sync_full_) return Status();
  Status s =
      Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (s.ok()) sync_full_ = full;
  return s;
}

Status Database::Migrate() {
  // BEGIN IMMEDIATE serialises processes that start together; the loser
  // waits (busy wait), then finds the migrations already applied.
  Status s = Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  {
    Stmt version(*this, "read user_version", "PRAGMA user_version");
    Result<bool> row = version.Step();
    s = row.ok() ? Status() : row.status();
    if (s.ok() && row.value()) user_version_ = version.ColumnInt(0);
  }
  for (int i = 0; s.ok() && i < kMigrationCount; i++) {
    const Migration& m = kMigrations[i];
    if (m.version <= user_version_) continue;
    s = Exec(m.sql);
    if (!s.ok()) {
      s = Status(s.code(), std::string(m.name) + ": " + s.message());
      break;
    }
    const std::string pragma =
        "PRAGMA user_version=" + std::to_string(m.version);
    s = Exec(pragma.c_str());
    if (s.ok()) user_version_ = m.version;
  }
  if (s.ok()) {  // a migration must leave every reference whole
    Stmt check(*this, "foreign key check", "PRAGMA foreign_key_check");
    Result<bool> broken = check.Step();
    if (!broken.ok()) {
      s = broken.status();
    } else if (broken.value()) {
      s = Status::Internal("migration left a broken reference in table " +
                           check.ColumnText(0));
    }
  }
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) (void)Exec("ROLLBACK");
  return s;
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

Result<Database*> Reader::Get() {
  if (db_ == nullptr) {
    Result<std::unique_ptr<Database>> db =
        Database::Open(path_, /*create=*/false, sync_full_, /*migrate=*/false);
    if (!db.ok()) return db.status();
    db_ = std::move(db).value();
  }
  return db_.get();
}

Stmt::Stmt(Database& db, const char* what, const char* sql)
    : db_(db), what_(what), stmt_(db.Prepare(sql, &status_)) {}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bound(int rc) {
  if (status_.ok() && rc != SQLITE_OK) {
    status_ = SqliteError(db_.raw(), rc, std::string("bind ") + what_);
  }
  index_++;
  return *this;
}

Stmt& Stmt::Int(std::int64_t v) {
  if (stmt_ == nullptr) return *this;
  return Bound(sqlite3_bind_int64(stmt_, index_, v));
}

Stmt& Stmt::Text(std::string_view v) {
  if (stmt_ == nullptr) return *this;
  return Bound(sqlite3_bind_text64(stmt_, index_, v.data(), v.size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8));
}

Stmt& Stmt::Blob(std::string_view v) {
  if (stmt_ == nullptr) return *this;
  return Bound(
      sqlite3_bind_blob64(stmt_, index_, v.data(), v.size(), SQLITE_TRANSIENT));
}

Stmt& Stmt::Null() {
  if (stmt_ == nullptr) return *this;
  return Bound(sqlite3_bind_null(stmt_, index_));
}

Stmt& Stmt::TextOrNull(std::string_view v) {
  return v.empty() ? Null() : Text(v);
}

Result<bool> Stmt::Step() {
  if (!status_.ok()) return status_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  status_ = SqliteError(db_.raw(), rc, what_);
  return status_;
}

Status Stmt::Run() {
  Result<bool> row = Step();
  if (!row.ok()) return row.status();
  if (row.value()) return Status::Internal(std::string(what_) + ": a row");
  return Status();
}

std::int64_t Stmt::ColumnInt(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string Stmt::ColumnText(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return std::string();
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

bool Stmt::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int Stmt::changes() const { return sqlite3_changes(db_.raw()); }

std::int64_t Stmt::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_.raw());
}

}  // namespace reg
