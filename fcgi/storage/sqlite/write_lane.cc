#include "storage/sqlite/write_lane.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "base/thread_group.h"
#include "storage/sqlite/wal_vfs.h"

namespace reg {
namespace {

// A statement without parameters or rows, prepared once per connection.
Status RunPlain(Database& db, const char* what, const char* sql) {
  return Stmt(db, what, sql).Run();
}

// The log of db's main file, open for fdatasync. SQLite made it when the
// connection first read in WAL mode (Database::Open's migration check),
// and keeps it while a connection is open: the lane's stays open.
Result<UniqueFd> OpenLog(Database& db) {
  const char* wal = sqlite3_filename_wal(sqlite3_db_filename(db.raw(), "main"));
  UniqueFd fd(open(wal, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Status::Internal(std::string("open ") + wal + ": " +
                            std::strerror(errno));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<WriteLane>> WriteLane::Open(const std::string& path,
                                                   bool create,
                                                   bool sync_full) {
  // Each transaction's frames in one write (wal_vfs.h).
  Result<std::unique_ptr<Database>> db =
      Database::Open(path, create, sync_full, /*migrate=*/true, WalAppendVfs());
  if (!db.ok()) return db.status();
  // The pages a piece's savepoint keeps to roll back to (the
  // sub-journal) stay in memory: past 64 KiB SQLite spilled them to a
  // temporary file, two writes a page, about half the lane's writes.
  if (Status s = db.value()->Exec("PRAGMA temp_store=MEMORY"); !s.ok()) {
    return s;
  }
  UniqueFd log;
  if (sync_full) {
    // The syncer flushes the log; the commits themselves do not.
    Result<UniqueFd> opened = OpenLog(*db.value());
    if (!opened.ok()) return opened.status();
    log = std::move(opened).value();
    Status s = db.value()->SetSyncFull(false);
    if (!s.ok()) return s;
  }
  std::unique_ptr<WriteLane> lane(
      new WriteLane(std::move(db).value(), std::move(log)));
  // After Open, which created and migrated the file.
  Result<std::unique_ptr<Checkpointer>> checkpointer =
      Checkpointer::Start(path, sync_full, lane->db_.get());
  if (!checkpointer.ok()) return checkpointer.status();
  lane->checkpointer_ = std::move(checkpointer).value();
  WriteLane* raw = lane.get();
  lane->syncer_ = std::thread([raw] { raw->Sync(); });
  lane->leader_ = std::thread([raw] { raw->Lead(); });
  return lane;
}

WriteLane::~WriteLane() {
  StopAndJoin(mu_, stop_, queued_, leader_);
  // After the leader: its last batch may still be waiting for a flush.
  StopAndJoin(mu_, sync_stop_, committed_, syncer_);
}

std::int64_t WriteLane::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

Status WriteLane::Run(Durability durability, const Work& work) {
  Piece piece{&work, durability, Status(), false, {}};
  std::unique_lock<std::mutex> lock(mu_);
  pending_.push_back(&piece);
  queued_.notify_one();
  piece.finished.wait(lock, [&piece] { return piece.done; });
  return piece.result;
}

void WriteLane::Finish(const std::vector<Piece*>& pieces,
                       const Status& status) {
  for (Piece* p : pieces) {
    if (!status.ok()) p->result = status;
    p->done = true;
    // mu_ is held: its thread cannot return (and take the piece with it)
    // before this one lets go.
    p->finished.notify_one();
  }
}

std::vector<WriteLane::Piece*> WriteLane::TakeAll(
    std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
    std::vector<Piece*>& queue, const bool& stop) {
  cv.wait(lock, [&] { return !queue.empty() || stop; });
  std::vector<Piece*> taken;
  taken.swap(queue);
  lock.unlock();
  return taken;
}

void WriteLane::Lead() {
  NameThisThread("reg-lane");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::vector<Piece*> batch = TakeAll(lock, queued_, pending_, stop_);
    if (batch.empty()) return;  // stop_, nothing left
    const Status batch_status = Commit(batch);
    bool durable = false;
    for (const Piece* p : batch)
      durable |= p->durability == Durability::kDurable;
    lock.lock();
    if (batch_status.ok() && durable && log_.valid()) {
      unsynced_.insert(unsynced_.end(), batch.begin(), batch.end());
      committed_.notify_one();
    } else {
      Finish(batch, batch_status);
    }
  }
}

void WriteLane::Sync() {
  NameThisThread("reg-sync");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    // Every batch taken here committed before this fdatasync starts, so
    // it flushes their log frames (a flush covers the file, whichever
    // descriptor wrote it).
    std::vector<Piece*> synced =
        TakeAll(lock, committed_, unsynced_, sync_stop_);
    if (synced.empty()) return;  // sync_stop_, nothing left
    int rc;
    do {
      rc = fdatasync(log_.get());
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      // Fail-stop, as PostgreSQL does: these batches are committed and
      // visible but perhaps not on disk, the kernel may have dropped the
      // pages it could not write (a later flush would then succeed over
      // the hole, and recovery would stop there, losing later answered
      // batches too). No answer goes out for them; the process ends, and
      // SQLite recovers the log as the disk holds it at the next start.
      Log("fdatasync of the database's log failed: %s; stopping",
          std::strerror(errno));
      std::abort();
    }
    lock.lock();
    syncs_++;
    Finish(synced, Status());
  }
}

Status WriteLane::Commit(const std::vector<Piece*>& batch) {
  Database& db = *db_;
  Status s = RunPlain(db, "begin batch", "BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  SqliteTxn txn(db);
  for (Piece* p : batch) {
    s = RunPlain(db, "savepoint", "SAVEPOINT piece");
    if (!s.ok()) break;
    p->result = (*p->work)(txn);
    if (!p->result.ok())
      s = RunPlain(db, "roll back piece", "ROLLBACK TO piece");
    if (s.ok()) s = RunPlain(db, "release piece", "RELEASE piece");
    if (!s.ok()) break;
  }
  if (s.ok()) s = RunPlain(db, "commit batch", "COMMIT");
  if (!s.ok()) (void)db.Exec("ROLLBACK");
  return s;
}

}  // namespace reg
