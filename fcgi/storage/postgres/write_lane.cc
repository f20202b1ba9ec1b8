#include "storage/postgres/write_lane.h"

#include <set>

namespace reg {
namespace {

// The batch's advisory locks, one statement: each mailbox once, in
// ascending key order (hashtext, as every host keys them); $2 says for
// each whether to wait for it (a piece already left out once) or only try.
// Returns the mailboxes whose lock was not taken. OFFSET 0 keeps the order
// below the locking filter (a volatile filter is never pushed down).
constexpr const char* kLaneLocks =
    "SELECT t.m FROM (SELECT m, bool_or(w) AS w "
    "  FROM unnest($1::text[], $2::boolean[]) AS u(m, w) "
    "  GROUP BY m ORDER BY hashtext(m), m OFFSET 0) AS t "
    "WHERE NOT CASE WHEN t.w "
    "  THEN pg_advisory_xact_lock(hashtext(t.m))::text = '' "
    "  ELSE pg_try_advisory_xact_lock(hashtext(t.m)) END";

}  // namespace

Result<std::unique_ptr<PgWriteLane>> PgWriteLane::Open(const std::string& url,
                                                       const Clock* clock,
                                                       int connections,
                                                       std::unique_ptr<PgConnection> first) {
  std::vector<std::unique_ptr<PgConnection>> conns;
  for (int i = first != nullptr ? 1 : 0; i < connections; i++) {
    Result<std::unique_ptr<PgConnection>> conn =
        PgConnection::Open(url, /*defer=*/true);
    if (!conn.ok()) return conn.status();
    conns.push_back(std::move(conn).value());
  }
  // The last is taken first (free_ is a stack).
  if (first != nullptr) conns.push_back(std::move(first));
  for (const std::unique_ptr<PgConnection>& c : conns)
    c->set_may_probe(false);  // see set_may_probe
  return std::unique_ptr<PgWriteLane>(new PgWriteLane(std::move(conns), clock));
}

PgWriteLane::PgWriteLane(std::vector<std::unique_ptr<PgConnection>> conns,
                         const Clock* clock)
    : conns_(std::move(conns)), clock_(clock) {
  for (const std::unique_ptr<PgConnection>& c : conns_) free_.push_back(c.get());
}

Status PgWriteLane::Run(Durability durability, const std::string& lock,
                        const Work& work) {
  Piece piece{&work, durability, &lock, Status(), 0, false, false, false};
  std::unique_lock<std::mutex> guard(mu_);
  pending_.push_back(&piece);
  const bool relaxed_only = piece.durability == Durability::kRelaxed;
  while (!piece.done) {
    // A relaxed piece's thread (the work after the answers, which runs at
    // a lower priority) leads only relaxed pieces, and only while another
    // connection stays free: a registration never waits for a thread the
    // kernel runs last, neither in its batch nor for a connection (on a
    // saturated host two such threads held both, and registrations went
    // unanswered for 30 s). Its piece meanwhile joins the next batch a
    // registration leads.
    if (piece.taken || free_.empty() ||
        (relaxed_only && conns_.size() > 1 && free_.size() < 2)) {
      cv_.wait(guard);
      continue;
    }
    // Lead: the oldest queued, this thread's own piece among them or in a
    // later batch this thread leads too.
    PgConnection* conn = free_.back();
    free_.pop_back();
    std::vector<Piece*> batch;
    for (auto it = pending_.begin();
         it != pending_.end() && batch.size() < kMaxPieces;) {
      if (relaxed_only && (*it)->durability == Durability::kDurable) {
        ++it;
        continue;
      }
      batch.push_back(*it);
      batch.back()->taken = true;
      it = pending_.erase(it);
    }
    guard.unlock();
    const Status batch_status = Commit(*conn, batch);
    guard.lock();
    // Pieces left to the next batch go first in it.
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      Piece* p = *it;
      p->taken = false;
      if (p->later && batch_status.ok()) {
        p->later = false;
        p->deferrals++;
        pending_.push_front(p);
        continue;
      }
      if (!batch_status.ok()) p->result = batch_status;
      p->done = true;
    }
    // The batch lost its connection (the server went away, or stopped
    // answering within the call's bound): the pieces that queued meanwhile
    // get its answer now rather than a whole bound more in a batch of
    // their own, so a partition answers each request within one bound
    // (CONTRACT section 7: 503 within 10 s). The next piece to come finds
    // out whether the server is back.
    if (!batch_status.ok() && !conn->connected()) {
      for (auto it = pending_.begin(); it != pending_.end();) {
        (*it)->result = batch_status;
        (*it)->done = true;
        it = pending_.erase(it);
      }
    }
    free_.push_back(conn);
    cv_.notify_all();
  }
  return piece.result;
}

int PgWriteLane::Waiting() {
  std::lock_guard<std::mutex> guard(mu_);
  return static_cast<int>(pending_.size());
}

Status PgWriteLane::TakeLocks(PgConnection& conn,
                              const std::vector<Piece*>& batch) {
  std::vector<std::string> mailboxes;
  std::string waits = "{";
  for (const Piece* p : batch) {
    if (p->lock->empty()) continue;
    mailboxes.push_back(*p->lock);
    if (waits.size() > 1) waits += ',';
    waits += p->deferrals > 0 ? 't' : 'f';
  }
  if (mailboxes.empty()) return Status();
  Result<PgRows> missed =
      conn.Query(kLaneLocks, {PgTextArray(mailboxes), waits + "}"});
  if (!missed.ok()) return missed.status();
  std::set<std::string> held_elsewhere;
  for (int i = 0; i < missed.value().size(); i++) {
    held_elsewhere.insert(missed.value().Text(i, 0));
  }
  for (Piece* p : batch) {
    p->later = !p->lock->empty() && held_elsewhere.count(*p->lock) > 0;
  }
  return Status();
}

Status PgWriteLane::Commit(PgConnection& conn,
                           const std::vector<Piece*>& batch) {
  bool durable = false;
  for (const Piece* p : batch) durable |= p->durability == Durability::kDurable;
  PgTransaction tx(&conn,
                   durable ? "BEGIN"
                           : "BEGIN; SET LOCAL synchronous_commit = off");
  if (!tx.status().ok()) return tx.status();
  // The locks first, outside every savepoint: a piece rolled back to its
  // savepoint would release the locks taken after it.
  Status s = TakeLocks(conn, batch);
  if (!s.ok()) return s;
  std::int64_t db_now = 0;
  if (clock_ == nullptr) {
    Result<PgRows> now = conn.Query("SELECT reg_now_ms()");
    if (!now.ok()) return now.status();
    db_now = now.value().Int(0, 0);
  }
  PgTxn txn(conn, clock_, db_now);
  // "piece" is open and holds nothing (first use, or just rolled back to),
  // open and holds a piece's writes, or not open yet.
  enum { kNone, kClean, kUsed } savepoint = kNone;
  for (Piece* p : batch) {
    if (p->later) continue;
    if (savepoint != kClean) {
      s = conn.Exec(savepoint == kNone
                          ? "SAVEPOINT piece"
                          : "RELEASE SAVEPOINT piece; SAVEPOINT piece");
      if (!s.ok()) return s;
    }
    p->result = (*p->work)(txn);
    if (p->result.ok()) {
      savepoint = kUsed;
      continue;
    }
    s = conn.Exec("ROLLBACK TO SAVEPOINT piece");
    if (!s.ok()) return s;
    savepoint = kClean;
    // A deadlock or a serialization failure (kUnavailable on a live
    // connection): once more in the next batch.
    if (p->result.code() == Code::kUnavailable && conn.connected() &&
        p->deferrals == 0) {
      p->later = true;
    }
  }
  return tx.Commit();
}

}  // namespace reg
