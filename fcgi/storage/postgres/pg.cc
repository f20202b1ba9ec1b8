#include "storage/postgres/pg.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace reg {
namespace {

// pg_advisory_lock key held while migrating ("registra" in ASCII).
constexpr std::int64_t kMigrationLock = 0x7265676973747261;
// A lost connection is tried again at most this often, so that while the
// server is away each request fails at once instead of waiting to connect.
constexpr auto kReconnectEvery = std::chrono::seconds(1);

bool Unavailable(std::string_view state) {
  return state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" ||
         state == "57P03" || state == "53300" || state == "40001" ||
         state == "40P01";
}

std::string Chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The first line of "sql", shortened: enough to tell statements apart in a
// log line (statements hold no values: those go as parameters).
std::string Summary(const char* sql) {
  std::string_view s(sql);
  s = s.substr(0, s.find('\n'));
  return std::string(s.substr(0, 60));
}

}  // namespace

Status PgError(PGconn* conn, const PGresult* result, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  const char* state = result != nullptr
                          ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                          : nullptr;
  // The primary message only: DETAIL lines may quote the values of a row
  // (an address in a unique violation), and logs never hold those.
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                        : nullptr;
  if (primary != nullptr) {
    msg += primary;
  } else {
    msg += Chomp(conn != nullptr ? PQerrorMessage(conn) : "no connection");
  }
  if (state != nullptr) {
    msg += " (SQLSTATE ";
    msg += state;
    msg += ")";
  }
  const bool lost = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  if (state != nullptr ? Unavailable(state) : lost) {
    return Status::Unavailable(msg);
  }
  return Status::Internal(msg);
}

std::string PgRows::Text(int row, int col) const {
  return std::string(PQgetvalue(result_.get(), row, col),
                     PQgetlength(result_.get(), row, col));
}

std::int64_t PgRows::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(result_.get(), row, col), nullptr, 10);
}

std::string PgRows::Bytes(int row, int col) const {
  size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(
                                           PQgetvalue(result_.get(), row, col)),
                                       &n);
  if (raw == nullptr) return "";
  std::string bytes(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return bytes;
}

std::int64_t PgRows::affected() const {
  return std::strtoll(PQcmdTuples(result_.get()), nullptr, 10);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(
    const std::string& conninfo, bool defer) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? Chomp(error) : "out of memory";
    PQfreemem(error);
    return Status::InvalidArgument("DATABASE_URL: " + why);
  }
  PQconninfoFree(parsed);
  // Later keywords override earlier ones, and the expanded "dbname" (the
  // whole conninfo) comes last: its own connect_timeout wins.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"5", conninfo.c_str(), nullptr};
  PgConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn == nullptr) return Status::Internal("PQconnectdbParams: no memory");
  if (PQstatus(conn.get()) != CONNECTION_OK && !defer) {
    return Status::Unavailable("connect to PostgreSQL: " +
                               Chomp(PQerrorMessage(conn.get())));
  }
  // NOTICEs ("relation already exists, skipping") are chatter, not errors;
  // libpq's default prints each to stderr, that is, the worker log.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(std::move(conn)));
}

bool PgConnection::connected() const {
  return PQstatus(conn_.get()) == CONNECTION_OK;
}

Status PgConnection::EnsureConnected() {
  if (connected()) return Status::Ok();
  // Inside a transaction a new session would silently lose its work (and
  // answer COMMIT with a mere warning): the caller must start over.
  if (in_transaction_) {
    return Status::Unavailable("connection to PostgreSQL lost mid-transaction");
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_reconnect_ < kReconnectEvery) {
    return Status::Unavailable("PostgreSQL unreachable (retrying)");
  }
  last_reconnect_ = now;
  PQreset(conn_.get());
  prepared_.clear();  // prepared statements belong to the old session
  if (!connected()) return PgError(conn_.get(), nullptr, "reconnect");
  return Status::Ok();
}

Result<PgRows> PgConnection::Query(const char* sql,
                                   const std::vector<PgParam>& params) {
  Status s = EnsureConnected();
  if (!s.ok()) return s;
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    PgResultPtr r(PQprepare(conn_.get(), name.c_str(), sql,
                            static_cast<int>(params.size()), nullptr));
    if (r == nullptr || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return PgError(conn_.get(), r.get(), "prepare " + Summary(sql));
    }
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const PgParam& p : params) {
    values.push_back(p.data());
    lengths.push_back(p.length());
    formats.push_back(p.binary() ? 1 : 0);
  }
  PgResultPtr r(PQexecPrepared(conn_.get(), it->second.c_str(),
                               static_cast<int>(values.size()), values.data(),
                               lengths.data(), formats.data(),
                               /*resultFormat=*/0));
  const ExecStatusType st =
      r != nullptr ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    return PgError(conn_.get(), r.get(), Summary(sql));
  }
  return PgRows(std::move(r));
}

Status PgConnection::Exec(const char* sql) {
  Status s = EnsureConnected();
  if (!s.ok()) return s;
  PgResultPtr r(PQexec(conn_.get(), sql));
  const ExecStatusType st =
      r != nullptr ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_.get(), r.get(), Summary(sql));
  }
  return Status::Ok();
}

PgTransaction::PgTransaction(PgConnection* conn, const char* begin)
    : conn_(conn) {
  status_ = conn_->Exec(begin);
  // An idle connection the server dropped (a restart) shows up only now;
  // BEGIN is safe to send again on a new session.
  if (!status_.ok() && !conn_->connected()) {
    conn_->last_reconnect_ = {};
    status_ = conn_->Exec(begin);
  }
  open_ = status_.ok();
  conn_->in_transaction_ = open_;
}

PgTransaction::~PgTransaction() {
  if (!open_) return;
  conn_->in_transaction_ = false;
  if (conn_->connected()) (void)conn_->Exec("ROLLBACK");
}

Status PgTransaction::Commit() {
  if (!open_) return status_.ok() ? Status::Internal("not open") : status_;
  Status s = conn_->Exec("COMMIT");
  open_ = false;
  conn_->in_transaction_ = false;
  return s;
}

std::string PgTextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Status PgMigrate(PgConnection* conn, const Migration* migrations, int count) {
  Result<PgRows> locked =
      conn->Query("SELECT pg_advisory_lock($1)", {kMigrationLock});
  if (!locked.ok()) return locked.status();
  Status s = [&]() -> Status {
    Status st = conn->Exec(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    if (!st.ok()) return st;
    Result<PgRows> current =
        conn->Query("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!current.ok()) return current.status();
    const std::int64_t version = current.value().Int(0, 0);
    for (int i = 0; i < count; i++) {
      const Migration& m = migrations[i];
      if (m.version <= version) continue;
      PgTransaction tx(conn);
      if (!tx.status().ok()) return tx.status();
      st = conn->Exec(m.sql);
      if (!st.ok())
        return Status(st.code(), std::string(m.name) + ": " + st.message());
      Result<PgRows> recorded = conn->Query(
          "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
          {m.version, m.name});
      if (!recorded.ok()) return recorded.status();
      st = tx.Commit();
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }();
  // The lock also ends with the session, should the unlock itself fail.
  Result<PgRows> unlocked =
      conn->Query("SELECT pg_advisory_unlock($1)", {kMigrationLock});
  if (s.ok() && !unlocked.ok()) return unlocked.status();
  return s;
}

}  // namespace reg
