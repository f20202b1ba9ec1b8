// PgWriteLane: the writer of a process on PostgreSQL, with group commit,
// as SQLite's WriteLane. Writes from every thread queue here; a thread
// that finds one of the lane's connections free takes what is queued (up
// to kMaxPieces) into one transaction on it, each piece in a SAVEPOINT (a
// failing one rolls back alone), and one COMMIT, one WAL flush, covers the
// batch before any of its answers. Unlike SQLite's one file lock, the
// server runs transactions side by side: with two connections one batch's
// statements run while the other's COMMIT waits for its flush.
// Registrations and activations (kDurable) are led by their own threads
// (a relaxed piece's thread, below the request threads' priority, leads
// only relaxed pieces).
//
// The mailbox cap's advisory locks (pg_advisory_xact_lock) are the lane's,
// not the pieces': a transaction-scoped lock taken inside a batch would be
// held until the whole batch commits, and a piece that waited for another
// host's lock would hold up every piece behind it while holding the locks
// of those before it (two hosts' batches could then wait for each other).
// So a piece names the lock it needs, and before any piece runs the batch
// takes all of them in one statement, in ascending key order: try-locks,
// and a piece whose lock another host holds is left to the next batch,
// which waits for it (in the same order, holding no row lock yet, so no
// two batches can wait for each other through these locks). Two pieces of
// one mailbox in one batch share its lock (a session takes its own locks
// again), and the second sees the first's rows.
#ifndef FCGI_STORAGE_POSTGRES_WRITE_LANE_H_
#define FCGI_STORAGE_POSTGRES_WRITE_LANE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/durability.h"
#include "storage/postgres/pg.h"

namespace reg {

// The transaction a piece runs in.
class PgTxn {
 public:
  PgTxn(PgConnection& conn, const Clock* clock, std::int64_t db_now_ms)
      : conn_(conn), clock_(clock), db_now_ms_(db_now_ms) {}
  PgConnection& conn() { return conn_; }
  // The batch's time: the database's (reg_now_ms(), fixed for the
  // transaction), or the test clock's when there is one.
  std::int64_t now_ms() const {
    return clock_ != nullptr ? clock_->NowMs() : db_now_ms_;
  }

 private:
  PgConnection& conn_;
  const Clock* const clock_;
  const std::int64_t db_now_ms_;
};

// Thread-safe; one per process.
class PgWriteLane {
 public:
  using Work = std::function<Status(PgTxn&)>;

  // Pieces per batch at most: each takes a subtransaction id, and past 64
  // in one transaction (PGPROC_MAX_CACHED_SUBXIDS) every session's
  // snapshots get slower; a rolled-back piece's savepoint takes a second.
  static constexpr int kMaxPieces = 32;

  // Batches in flight at once, each on a connection of its own.
  static constexpr int kConnections = 2;

  // Opens the lane's "connections" to "url" (deferred: they connect on
  // first use if the server is away). "clock" is for tests only (see
  // PgTxn). "first", if given, is one of them, already open (the one that
  // migrated): the lane takes it first, so that a lane used by one thread
  // at a time never opens a second. A connection is a server process
  // forked and set up, about 30 ms of the server's processor time on a
  // small virtual machine.
  static Result<std::unique_ptr<PgWriteLane>> Open(
      const std::string& url, const Clock* clock,
      int connections = kConnections,
      std::unique_ptr<PgConnection> first = nullptr);

  // Runs "work" in the next batch and blocks until that batch has
  // committed. Returns work's Status; a failing work's own writes are
  // rolled back and the rest of the batch stays. When the batch itself
  // fails (the connection lost, COMMIT failed) every piece gets that
  // Status and nothing of the batch is written (after a failed COMMIT:
  // kUnavailable, and it may or may not have committed, as PgTransaction).
  // A batch that lost its connection also answers, with its Status, every
  // piece queued while it ran (a partition: one bound, not two).
  // "lock", unless empty, is the mailbox whose advisory lock the piece
  // needs (see above). "work" runs on another thread (the batch's leader),
  // must use only the PgTxn it is given, and may run more than once (a
  // piece that fails with kUnavailable, a deadlock for instance, is tried
  // once more in the next batch): it sets its results afresh each time.
  Status Run(Durability durability, const std::string& lock, const Work& work);
  Status Run(Durability durability, const Work& work) {
    return Run(durability, std::string(), work);
  }

  // Pieces waiting for a batch to start (the tests' view of the queue).
  int Waiting();

 private:
  struct Piece {
    const Work* work;
    Durability durability;
    const std::string* lock;
    Status result;
    int deferrals = 0;     // batches it was left out of
    bool later = false;    // left to the next batch
    bool taken = false;    // in a batch now
    bool done = false;
  };
  PgWriteLane(std::vector<std::unique_ptr<PgConnection>> conns,
              const Clock* clock);
  // Runs one batch on "conn"; only its leader calls it. Sets "later" on
  // the pieces left to the next batch.
  Status Commit(PgConnection& conn, const std::vector<Piece*>& batch);
  // Takes the batch's advisory locks; marks "later" the pieces whose lock
  // another session holds (another host's, or this lane's other batch).
  Status TakeLocks(PgConnection& conn, const std::vector<Piece*>& batch);

  const std::vector<std::unique_ptr<PgConnection>> conns_;
  const Clock* const clock_;
  std::mutex mu_;
  std::condition_variable cv_;  // a batch finished
  std::deque<Piece*> pending_;  // not yet in a batch, oldest first
  std::vector<PgConnection*> free_;  // connections no batch is using
};

}  // namespace reg

#endif  // FCGI_STORAGE_POSTGRES_WRITE_LANE_H_
