// WriteLane: the one writer of a process, with group commit. Writes from
// every thread queue here; the lane's own thread takes everything queued
// into one BEGIN IMMEDIATE ... COMMIT on the lane's own connection, each
// piece in a SAVEPOINT, so one fsync covers the batch and threads of one
// process never queue for SQLite's lock one by one.
//
// The lane's thread, not the first caller, leads every batch: the work
// after the answers (claims, outcomes) runs 10 nice levels below the
// request threads, and a batch led by such a thread held every
// registration that joined it (one connection: they wait for it) while
// the kernel ran that thread last. The lane's thread keeps the priority
// of the thread that opened it (the process's).
//
// The lane's connection writes the log through wal_vfs.h's VFS (each
// transaction's frames in one write, not two a page) and keeps what its
// savepoints roll back to in memory (temp_store=MEMORY): the lane's
// thread makes about one write call per registration, not 82.
//
// The fsync is not in the commit (with SQLITE_SYNC=full): the lane's
// connection commits with synchronous=NORMAL (no sync of the log at
// COMMIT; SQLite still syncs it around checkpoints and when the log
// restarts), and a second thread of the lane, the syncer, then runs one
// fdatasync of the log for every durable batch committed so far, and
// only then are those batches' pieces done. So the lane's thread writes
// the next batch while the disk flushes the last ones, and one flush can
// cover several batches. A durable batch's rows are visible to readers
// from its COMMIT, before the flush; its callers answer only after it,
// and nothing else acts on them sooner (a new job is due to the sweeps
// only after sweep_grace_ms; its post follows the answer).
#ifndef FCGI_STORAGE_SQLITE_WRITE_LANE_H_
#define FCGI_STORAGE_SQLITE_WRITE_LANE_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/handles.h"
#include "base/status.h"
#include "storage/durability.h"
#include "storage/sqlite/checkpointer.h"
#include "storage/sqlite/db.h"

namespace reg {

// The transaction a piece runs in.
class SqliteTxn {
 public:
  explicit SqliteTxn(Database& db) : db_(db) {}
  Database& db() { return db_; }

 private:
  Database& db_;
};

// Thread-safe; one per process.
class WriteLane {
 public:
  using Work = std::function<Status(SqliteTxn&)>;

  // Opens the lane's connection to "path" (see Database::Open).
  static Result<std::unique_ptr<WriteLane>> Open(const std::string& path,
                                                 bool create, bool sync_full);

  // Stops the lane's thread (after the batch it runs, if any).
  ~WriteLane();
  WriteLane(const WriteLane&) = delete;
  WriteLane& operator=(const WriteLane&) = delete;

  // Runs "work" in the next batch and blocks until that batch has
  // committed. Returns work's Status; a failing work's own writes are
  // rolled back and the rest of the batch stays. When the batch itself
  // fails (BEGIN stayed busy, COMMIT failed) every piece gets that Status
  // and nothing of the batch is written. "work" runs on another thread
  // (the lane's own) and must use only the SqliteTxn it is given: it
  // is storage code only (never a caller's callback: a slow one would
  // hold up every request of the batch, on other threads).
  Status Run(Durability durability, const Work& work);

  // The thread that checkpoints the log, so that no batch's commit does
  // (checkpointer.h).
  const Checkpointer& checkpointer() const { return *checkpointer_; }

  // The syncer's fdatasyncs of the log so far (for tests); 0 without
  // SQLITE_SYNC=full.
  std::int64_t syncs() const;

 private:
  struct Piece {
    const Work* work;
    Durability durability;
    Status result;
    bool done = false;
    // Its own thread's wake-up, with mu_: a batch wakes the threads of its
    // pieces and no other (one condition variable for every piece woke
    // each waiting thread at each batch and each flush, to sleep again).
    std::condition_variable finished;
  };
  WriteLane(std::unique_ptr<Database> db, UniqueFd log)
      : db_(std::move(db)), log_(std::move(log)) {}
  // The lane's thread: runs a batch of everything queued, again and again.
  void Lead();
  // The syncer's thread: flushes the log for the committed durable
  // batches, then marks their pieces done.
  void Sync();
  // Runs one batch on db_; only the lane's thread calls it.
  Status Commit(const std::vector<Piece*>& batch);
  // Waits (lock held) until "queue" has pieces or "stop" is set, takes
  // them all and unlocks; none taken: stop.
  static std::vector<Piece*> TakeAll(std::unique_lock<std::mutex>& lock,
                                     std::condition_variable& cv,
                                     std::vector<Piece*>& queue,
                                     const bool& stop);
  // Marks the pieces done (with "status" if it failed); mu_ held.
  void Finish(const std::vector<Piece*>& pieces, const Status& status);

  std::unique_ptr<Database> db_;  // used only by the lane's thread
  // Declared after db_, so gone before it (it hooks db_'s commits).
  std::unique_ptr<Checkpointer> checkpointer_;
  // The log (registrar.db-wal), open for the syncer's fdatasync; -1 with
  // SQLITE_SYNC=normal (nothing is flushed at a commit then).
  const UniqueFd log_;
  mutable std::mutex mu_;
  std::condition_variable queued_;     // a piece was queued, or stop_
  std::condition_variable committed_;  // unsynced_ grew, or sync_stop_
  std::vector<Piece*> pending_;
  std::vector<Piece*> unsynced_;  // of committed durable batches
  std::int64_t syncs_ = 0;
  bool stop_ = false;
  bool sync_stop_ = false;  // set once leader_ has ended
  std::thread syncer_;
  std::thread leader_;  // started last, in Open
};

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_WRITE_LANE_H_
