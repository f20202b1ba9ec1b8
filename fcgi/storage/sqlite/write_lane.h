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
#ifndef FCGI_STORAGE_SQLITE_WRITE_LANE_H_
#define FCGI_STORAGE_SQLITE_WRITE_LANE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

 private:
  struct Piece {
    const Work* work;
    Durability durability;
    Status result;
    bool done = false;
  };
  WriteLane(std::unique_ptr<Database> db, bool sync_full)
      : db_(std::move(db)), sync_full_(sync_full) {}
  // The lane's thread: runs a batch of everything queued, again and again.
  void Lead();
  // Runs one batch on db_; only the lane's thread calls it.
  Status Commit(const std::vector<Piece*>& batch);

  std::unique_ptr<Database> db_;  // used only by the lane's thread
  // Declared after db_, so gone before it (it hooks db_'s commits).
  std::unique_ptr<Checkpointer> checkpointer_;
  const bool sync_full_;
  std::mutex mu_;
  std::condition_variable queued_;  // a piece was queued, or stop_
  std::condition_variable done_;    // a batch finished
  std::vector<Piece*> pending_;
  bool stop_ = false;
  std::thread leader_;  // started last, in Open
};

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_WRITE_LANE_H_
