#include "storage/postgres/pg.h"

#include <poll.h>

#include <atomic>
#include <cerrno>
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

// Besides a lost connection and a server going away: a statement or lock
// wait cut by statement_timeout or lock_timeout (57014, 55P03), a session
// ended by idle_in_transaction_session_timeout (25P03): try again later.
bool Unavailable(std::string_view state) {
  return state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" ||
         state == "57P03" || state == "53300" || state == "40001" ||
         state == "40P01" || state == "57014" || state == "55P03" ||
         state == "25P03";
}

// Waits up to "deadline" (none when it is max()) for "events" on "fd":
// false when the time ran out.
bool WaitForSocket(int fd, short events,
                   std::chrono::steady_clock::time_point deadline) {
  if (fd < 0) return true;  // no socket: libpq reports why
  for (;;) {
    int ms = -1;
    if (deadline != std::chrono::steady_clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      ms = static_cast<int>(left.count()) + 1;
    }
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // libpq reports the error
  }
}

// Process-wide, across connections: once the server failed to answer a
// call in time, one call at a time (the probe) asks it again and every
// other call answers kUnavailable at once, so a partition holds at most
// the probe's thread for a whole bound (and those already waiting when it
// began). The first call answered ends it.
std::atomic<bool> g_silent{false};
std::atomic<bool> g_probing{false};

class SilenceGate {
 public:
  explicit SilenceGate(bool may_probe)
      : probe_(may_probe && g_silent && !g_probing.exchange(true)) {}
  ~SilenceGate() {
    if (probe_) g_probing = false;
  }
  SilenceGate(const SilenceGate&) = delete;
  SilenceGate& operator=(const SilenceGate&) = delete;

  // Whether this call may go to the server.
  bool admitted() const { return probe_ || !g_silent; }
  static Status Refusal() {
    return Status::Unavailable(
        "PostgreSQL did not answer in time (another call is checking)");
  }
  // The call was answered: the server is back for everyone.
  static void Answered() { g_silent = false; }

 private:
  const bool probe_;
};

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

const char* const kPgDefaultKeys[] = {
    "connect_timeout",     "keepalives",       "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    nullptr};
const char* const kPgDefaultValues[] = {"5", "1", "5", "2", "2", "8000",
                                        nullptr};
const char* const kPgSessionOptions =
    "-c statement_timeout=7000 -c lock_timeout=3000 "
    "-c idle_in_transaction_session_timeout=10000";

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
  std::string options = kPgSessionOptions;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; o++) {
    if (std::string_view(o->keyword) == "options" && o->val != nullptr) {
      options += " ";
      options += o->val;
    }
  }
  PQconninfoFree(parsed);
  // Later keywords override earlier ones: the defaults first, then the
  // expanded "dbname" (the whole conninfo: its own values win), then the
  // options, ours before its own (the server takes the last -c of a name).
  std::vector<const char*> keys, values;
  for (int i = 0; kPgDefaultKeys[i] != nullptr; i++) {
    keys.push_back(kPgDefaultKeys[i]);
    values.push_back(kPgDefaultValues[i]);
  }
  keys.insert(keys.end(), {"dbname", "options"});
  values.insert(values.end(), {conninfo.c_str(), options.c_str()});
  std::unique_ptr<PgConnection> made(new PgConnection(
      std::vector<std::string>(keys.begin(), keys.end()),
      std::vector<std::string>(values.begin(), values.end())));
  if (defer) return made;
  Status s = made->EnsureConnected(made->NextDeadline());
  if (!s.ok()) {
    // libpq's own words when it has some (TLS, authentication, refused).
    const std::string why = made->conn_ != nullptr && !made->timed_out_
                                ? Chomp(PQerrorMessage(made->conn_.get()))
                                : s.message();
    return Status::Unavailable("connect to PostgreSQL: " + why);
  }
  return made;
}

bool PgConnection::connected() const {
  return conn_ != nullptr && !timed_out_ &&
         PQstatus(conn_.get()) == CONNECTION_OK;
}

PgConnection::Deadline PgConnection::NextDeadline() const {
  if (call_timeout_.count() == 0) return Deadline::max();
  return std::chrono::steady_clock::now() + call_timeout_;
}

Status PgConnection::TimedOut() {
  timed_out_ = true;
  g_silent = true;
  return Status::Unavailable("PostgreSQL did not answer in time");
}

Status PgConnection::EnsureConnected(Deadline deadline) {
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
  prepared_.clear();  // prepared statements belong to the old session
  timed_out_ = false;
  // PQconnectdb's or PQreset's steps one at a time, so that the wait has
  // the call's bound. The first connection is made on first use: a thread
  // that never asks the server holds no session of it.
  const bool first = conn_ == nullptr;
  const char* const context = first ? "connect" : "reconnect";
  if (first) {
    std::vector<const char*> keys, values;
    for (const std::string& k : keys_) keys.push_back(k.c_str());
    for (const std::string& v : values_) values.push_back(v.c_str());
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectStartParams(keys.data(), values.data(),
                                     /*expand_dbname=*/1));
    if (conn_ == nullptr) return Status::Internal("PQconnectStart: no memory");
    // NOTICEs ("relation already exists, skipping") are chatter, not
    // errors; libpq's default prints each to stderr, the worker log.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      return PgError(conn_.get(), nullptr, context);
    }
  } else if (PQresetStart(conn_.get()) == 0) {
    return PgError(conn_.get(), nullptr, context);
  }
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) {
      return PgError(conn_.get(), nullptr, context);
    }
    const short events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!WaitForSocket(PQsocket(conn_.get()), events, deadline)) {
      return TimedOut();
    }
    polling = first ? PQconnectPoll(conn_.get()) : PQresetPoll(conn_.get());
  }
  return Status::Ok();
}

Status PgConnection::AwaitAnswer(Deadline deadline) {
  while (PQisBusy(conn_.get())) {
    if (!WaitForSocket(PQsocket(conn_.get()), POLLIN, deadline)) {
      return TimedOut();
    }
    if (PQconsumeInput(conn_.get()) == 0) break;  // PQgetResult says why
  }
  return Status::Ok();
}

Result<PgResultPtr> PgConnection::Collect(Deadline deadline,
                                          const std::string& context) {
  PgResultPtr kept;
  auto failed = [](const PGresult* r) {
    const ExecStatusType st = PQresultStatus(r);
    return st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
  };
  for (;;) {
    if (Status s = AwaitAnswer(deadline); !s.ok()) return s;
    PgResultPtr r(PQgetResult(conn_.get()));
    if (r == nullptr) break;
    if (kept == nullptr || !failed(kept.get())) kept = std::move(r);
  }
  if (kept == nullptr || failed(kept.get())) {
    return PgError(conn_.get(), kept.get(), context);
  }
  return kept;
}

Result<PgRows> PgConnection::Query(const char* sql,
                                   const std::vector<PgParam>& params) {
  SilenceGate gate(may_probe_);
  if (!gate.admitted()) return SilenceGate::Refusal();
  const Deadline deadline = NextDeadline();
  Status s = EnsureConnected(deadline);
  if (!s.ok()) return s;
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    if (PQsendPrepare(conn_.get(), name.c_str(), sql,
                      static_cast<int>(params.size()), nullptr) == 0) {
      return PgError(conn_.get(), nullptr, "prepare " + Summary(sql));
    }
    Result<PgResultPtr> prepared = Collect(deadline, "prepare " + Summary(sql));
    if (!prepared.ok()) return prepared.status();
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const PgParam& p : params) {
    values.push_back(p.data());
    lengths.push_back(p.length());
    formats.push_back(p.binary() ? 1 : 0);
  }
  if (PQsendQueryPrepared(conn_.get(), it->second.c_str(),
                          static_cast<int>(values.size()), values.data(),
                          lengths.data(), formats.data(),
                          /*resultFormat=*/0) == 0) {
    return PgError(conn_.get(), nullptr, Summary(sql));
  }
  Result<PgResultPtr> r = Collect(deadline, Summary(sql));
  if (!r.ok()) return r.status();
  SilenceGate::Answered();
  return PgRows(std::move(r).value());
}

Status PgConnection::Exec(const char* sql) {
  SilenceGate gate(may_probe_);
  if (!gate.admitted()) return SilenceGate::Refusal();
  const Deadline deadline = NextDeadline();
  Status s = EnsureConnected(deadline);
  if (!s.ok()) return s;
  if (PQsendQuery(conn_.get(), sql) == 0) {
    return PgError(conn_.get(), nullptr, Summary(sql));
  }
  s = Collect(deadline, Summary(sql)).status();
  if (s.ok()) SilenceGate::Answered();
  return s;
}

Status PgConnection::Ping(std::chrono::milliseconds bound) {
  SilenceGate gate(may_probe_);
  if (!gate.admitted()) return SilenceGate::Refusal();
  const Deadline deadline = std::chrono::steady_clock::now() + bound;
  Status s = EnsureConnected(deadline);
  if (!s.ok()) return s;
  if (PQsendQuery(conn_.get(), "SELECT 1") == 0) {
    return PgError(conn_.get(), nullptr, "ping");
  }
  s = Collect(deadline, "ping").status();
  if (s.ok()) SilenceGate::Answered();
  return s;
}

PgTransaction::PgTransaction(PgConnection* conn, const char* begin)
    : conn_(conn) {
  status_ = conn_->Exec(begin);
  // An idle connection the server dropped (a restart) shows up only now;
  // BEGIN is safe to send again on a new session. Not after a server that
  // did not answer at all: that wait was the call's whole bound.
  if (!status_.ok() && !conn_->connected() && !conn_->timed_out_) {
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
  // Waiting for another host's migrations, and a migration itself, may
  // take longer than any request's bound: none while migrating.
  conn->set_call_timeout(std::chrono::milliseconds(0));
  struct Restore {
    PgConnection* conn;
    ~Restore() { conn->set_call_timeout(PgConnection::kCallTimeout); }
  } restore{conn};
  if (Status s = conn->Exec("SET statement_timeout = 0; SET lock_timeout = 0");
      !s.ok()) {
    return s;
  }
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
  if (s.ok()) s = conn->Exec("RESET statement_timeout; RESET lock_timeout");
  return s;
}

}  // namespace reg
