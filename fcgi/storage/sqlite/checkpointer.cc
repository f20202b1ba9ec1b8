#include "storage/sqlite/checkpointer.h"

#include "base/log.h"
#include "base/thread_group.h"
#include "base/thread_priority.h"

namespace reg {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(
    const std::string& path, bool sync_full, Database* writer) {
  Result<std::unique_ptr<Database>> db =
      Database::Open(path, /*create=*/false, sync_full, /*migrate=*/false);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Checkpointer>(
      new Checkpointer(std::move(db).value(), writer));
}

Checkpointer::Checkpointer(std::unique_ptr<Database> db, Database* writer)
    : db_(std::move(db)), writer_(writer) {
  thread_ = std::thread([this] { Loop(); });
  sqlite3_wal_hook(writer_->raw(), &Checkpointer::OnCommit, this);
}

Checkpointer::~Checkpointer() {
  // Back to SQLite's automatic checkpoint, should the writer commit again.
  sqlite3_wal_autocheckpoint(writer_->raw(), kWakePages);
  StopAndJoin(mu_, stop_, cv_, thread_);
}

std::int64_t Checkpointer::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

// Called by SQLite in the writer's COMMIT, after the write lock is
// released and before the lane answers the batch: it must be quick.
int Checkpointer::OnCommit(void* self, sqlite3* db, const char* name,
                           int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= kBackstopPages) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
  } else if (pages >= kWakePages) {
    {
      std::lock_guard<std::mutex> lock(c->mu_);
      c->wanted_ = true;
    }
    c->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Loop() {
  NameThisThread("reg-checkpoint");
  // Work after the answers: below the request threads and the lane's
  // thread, which keep the process's priority.
  (void)LowerThisThread(kAfterAnswerNice);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return wanted_ || stop_; });
    if (stop_) return;
    wanted_ = false;
    lock.unlock();
    const int rc = sqlite3_wal_checkpoint_v2(
        db_->raw(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    // BUSY: another process's checkpoint runs; the next commit wakes us.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      Log("checkpoint: %s", sqlite3_errstr(rc));
    }
    lock.lock();
    runs_++;
  }
}

}  // namespace reg
