#include "storage/sqlite/write_lane.h"

#include "base/thread_group.h"

namespace reg {
namespace {

// A statement without parameters or rows, prepared once per connection.
Status RunPlain(Database& db, const char* what, const char* sql) {
  return Stmt(db, what, sql).Run();
}

}  // namespace

Result<std::unique_ptr<WriteLane>> WriteLane::Open(const std::string& path,
                                                   bool create,
                                                   bool sync_full) {
  Result<std::unique_ptr<Database>> db =
      Database::Open(path, create, sync_full);
  if (!db.ok()) return db.status();
  std::unique_ptr<WriteLane> lane(
      new WriteLane(std::move(db).value(), sync_full));
  // After Open, which created and migrated the file.
  Result<std::unique_ptr<Checkpointer>> checkpointer =
      Checkpointer::Start(path, sync_full, lane->db_.get());
  if (!checkpointer.ok()) return checkpointer.status();
  lane->checkpointer_ = std::move(checkpointer).value();
  WriteLane* raw = lane.get();
  lane->leader_ = std::thread([raw] { raw->Lead(); });
  return lane;
}

WriteLane::~WriteLane() {
  if (!leader_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  queued_.notify_one();
  leader_.join();
}

Status WriteLane::Run(Durability durability, const Work& work) {
  Piece piece{&work, durability, Status(), false};
  std::unique_lock<std::mutex> lock(mu_);
  pending_.push_back(&piece);
  queued_.notify_one();
  done_.wait(lock, [&piece] { return piece.done; });
  return piece.result;
}

void WriteLane::Lead() {
  NameThisThread("reg-lane");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    queued_.wait(lock, [this] { return !pending_.empty() || stop_; });
    if (pending_.empty()) return;  // stop_, nothing left
    std::vector<Piece*> batch;
    batch.swap(pending_);
    lock.unlock();
    const Status batch_status = Commit(batch);
    lock.lock();
    for (Piece* p : batch) {
      if (!batch_status.ok()) p->result = batch_status;
      p->done = true;
    }
    done_.notify_all();
  }
}

Status WriteLane::Commit(const std::vector<Piece*>& batch) {
  bool durable = false;
  for (const Piece* p : batch) durable |= p->durability == Durability::kDurable;
  // The level is read at COMMIT; it can change only between transactions.
  Status s = db_->SetSyncFull(sync_full_ && durable);
  if (!s.ok()) return s;
  Database& db = *db_;
  s = RunPlain(db, "begin batch", "BEGIN IMMEDIATE");
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
