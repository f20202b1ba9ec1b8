// Pg: a thin RAII layer over libpq, the PostgreSQL engine's ground floor.
// One PgConnection owns one server connection; parameters go as text, rows
// come back as text, errors come back as Status (PgError). No exceptions.
#ifndef FCGI_STORAGE_POSTGRES_PG_H_
#define FCGI_STORAGE_POSTGRES_PG_H_

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/handles.h"
#include "base/status.h"
#include "storage/migration.h"

namespace reg {

using PgConnPtr = std::unique_ptr<PGconn, Deleter<PQfinish>>;
using PgResultPtr = std::unique_ptr<PGresult, Deleter<PQclear>>;

// Translates a failed libpq call into a Status naming "context". Lost or
// refused connections (SQLSTATE class 08, or no result at all), a server
// shutting down (57P01-57P03), too many connections (53300), and
// serialization failures and deadlocks (40001, 40P01: try again) become
// kUnavailable; everything else kInternal. The SQLSTATE ends the message.
Status PgError(PGconn* conn, const PGresult* result, std::string_view context);

// A parameter of a query: text, an integer, bytes (for bytea), or SQL NULL
// (the default).
class PgParam {
 public:
  PgParam() = default;
  static PgParam Bytes(std::string_view bytes) {
    PgParam p(bytes);
    p.binary_ = true;
    return p;
  }
  PgParam(std::string_view text) : value_(std::string(text)) {}  // NOLINT
  PgParam(const std::string& text) : value_(text) {}             // NOLINT
  PgParam(const char* text) : value_(std::string(text)) {}       // NOLINT
  PgParam(long n) : value_(std::to_string(n)) {}                 // NOLINT
  PgParam(long long n) : value_(std::to_string(n)) {}            // NOLINT
  PgParam(int n) : value_(std::to_string(n)) {}                  // NOLINT

  const char* data() const { return value_ ? value_->c_str() : nullptr; }
  int length() const { return value_ ? static_cast<int>(value_->size()) : 0; }
  bool binary() const { return binary_; }

 private:
  std::optional<std::string> value_;
  bool binary_ = false;
};

// The rows of a finished query (owns the PGresult). Row and column indexes
// are 0-based; REQUIRES: row < size(), col < the query's column count.
class PgRows {
 public:
  explicit PgRows(PgResultPtr result) : result_(std::move(result)) {}

  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  std::string Text(int row, int col) const;
  std::int64_t Int(int row, int col) const;  // 0 for NULL or non-numbers
  // A bytea column's bytes.
  std::string Bytes(int row, int col) const;
  // Rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const;

 private:
  PgResultPtr result_;
};

// One connection. Not thread-safe: one PgConnection per thread.
//
// A server that stops answering without closing the connection (a network
// partition) never holds a call for long: every call, reconnecting
// included, gives up after kCallTimeout with kUnavailable, and the
// connection is then dropped (re-established by a later call). From such
// a timeout until a call is answered, the process's connections ask the
// server one call at a time and answer every other call kUnavailable at
// once (thread-safe: the only state shared between connections). The
// server bounds its side too: statement_timeout, lock_timeout (advisory
// locks included) and idle_in_transaction_session_timeout
// (kPgSessionOptions).
class PgConnection {
 public:
  // The longest a call waits for the server (a statement's own limit,
  // statement_timeout, is shorter, so a slow statement fails as the
  // server's error first).
  static constexpr std::chrono::milliseconds kCallTimeout{8000};

  // Connects with "conninfo" (a postgresql:// URI or "key=value ..."), on
  // kPgDefaultKeys and kPgSessionOptions (each of which conninfo may set
  // otherwise). kUnavailable when the
  // server cannot be reached, unless "defer": then the connection comes
  // back unconnected and connects on first use (a thread that never asks
  // the server holds no session; one started during an outage carries on
  // once the server is back).
  // kInvalidArgument for a malformed conninfo.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo,
                                                    bool defer = false);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs "sql" ($1, $2, ... for "params"), prepared once per connection and
  // kept (keyed by the pointer: pass string literals). Outside a
  // transaction, a connection known to be lost is re-established first (at
  // most once a second; meanwhile kUnavailable at once). Inside one, a lost
  // connection is kUnavailable: its work is gone, the caller starts over.
  Result<PgRows> Query(const char* sql,
                       std::initializer_list<PgParam> params = {}) {
    return Query(sql, std::vector<PgParam>(params));
  }
  Result<PgRows> Query(const char* sql, const std::vector<PgParam>& params);

  // Runs one or more statements without parameters (DDL, BEGIN); rows, if
  // any, are dropped. Reconnects as Query does.
  Status Exec(const char* sql);

  // "SELECT 1" within "bound" in all (a reconnect included): for a health
  // check that must answer sooner than kCallTimeout.
  Status Ping(std::chrono::milliseconds bound);

  // Replaces kCallTimeout for the calls that follow; 0: no limit (the
  // migrations, which may wait for another host's).
  void set_call_timeout(std::chrono::milliseconds timeout) {
    call_timeout_ = timeout;
  }

  // Whether this connection's calls may be the probe that asks a server
  // which stopped answering whether it is back (see pg.cc). The write
  // lane's may not: its pieces queue behind one another, and a probe
  // there would hold those behind it for a second bound; its calls answer
  // kUnavailable at once until a call elsewhere (/healthz, the heartbeat,
  // a sweep, a read) is answered.
  void set_may_probe(bool may) { may_probe_ = may; }

  // False once the connection is known to be lost (a query failed on it,
  // or the server did not answer in time).
  bool connected() const;

 private:
  friend class PgTransaction;
  using Deadline = std::chrono::steady_clock::time_point;
  PgConnection(std::vector<std::string> keys, std::vector<std::string> values)
      : keys_(std::move(keys)), values_(std::move(values)) {}
  Deadline NextDeadline() const;
  Status EnsureConnected(Deadline deadline);
  // Waits until libpq has the whole answer of what was sent; kUnavailable
  // (and the connection given up) past "deadline".
  Status AwaitAnswer(Deadline deadline);
  // The answer of what was sent: its last result, or its first failure as
  // a Status naming "context".
  Result<PgResultPtr> Collect(Deadline deadline, const std::string& context);
  Status TimedOut();

  // libpq's keywords and values for the first connect.
  const std::vector<std::string> keys_, values_;
  PgConnPtr conn_;  // null until the first connect
  std::map<const char*, std::string> prepared_;  // sql -> statement name
  bool in_transaction_ = false;
  // The server did not answer in time: the session is given up (its state
  // is unknown) and replaced on the next call outside a transaction.
  bool timed_out_ = false;
  bool may_probe_ = true;
  std::chrono::milliseconds call_timeout_ = kCallTimeout;
  std::chrono::steady_clock::time_point last_reconnect_{};
};

// What every connection sets unless DATABASE_URL says otherwise, as
// libpq keywords: connect_timeout 5 s, TCP keepalives after 5 s idle then
// every 2 s, 2 lost, and tcp_user_timeout 8 s (a peer that stops
// acknowledging is dropped by the kernel, where a plain socket waits for
// minutes). Ends with a null keyword.
extern const char* const kPgDefaultKeys[];
extern const char* const kPgDefaultValues[];
// The session settings put before DATABASE_URL's own "options" (its -c
// settings win): statement_timeout 7 s, lock_timeout 3 s (a mailbox's
// advisory lock held by a host cut off mid-transaction is waited for no
// longer), idle_in_transaction_session_timeout 10 s (the server ends such
// a host's transaction, and frees its locks).
extern const char* const kPgSessionOptions;

// BEGIN on construction (check status()); ROLLBACK on destruction unless
// Commit() succeeded. A connection the server dropped while idle is
// replaced before BEGIN. Copying is disabled. COMMIT is never sent twice:
// a Commit() that fails with kUnavailable may or may not have committed.
class PgTransaction {
 public:
  // "begin": the statements that open it, in one round trip ("BEGIN; SET
  // LOCAL ..."), BEGIN first.
  explicit PgTransaction(PgConnection* conn, const char* begin = "BEGIN");
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  const Status& status() const { return status_; }
  Status Commit();

 private:
  PgConnection* conn_;
  Status status_;
  bool open_ = false;
};

// A text[] parameter's value: {"a","b\"c"} for a and b"c (each item
// quoted, '"' and '\' escaped).
std::string PgTextArray(const std::vector<std::string>& items);

// Applies the "count" migrations (ascending versions) newer than the
// database's, each in its own transaction that also records its version in
// schema_version. Holds a session advisory lock meanwhile, so hosts that
// start at once apply each migration exactly once.
Status PgMigrate(PgConnection* conn, const Migration* migrations, int count);

}  // namespace reg

#endif  // FCGI_STORAGE_POSTGRES_PG_H_
