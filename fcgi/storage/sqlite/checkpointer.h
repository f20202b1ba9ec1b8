// Checkpointer: copies the write-ahead log's pages into the database file
// on a thread of its own, so that no commit of the write lane does it.
//
// SQLite's default is an automatic checkpoint inside the commit that takes
// the log past 1,000 pages: that commit, and with group commit every
// answer of its batch and of the batches queued behind it, waits for the
// pages to be copied and (SQLITE_SYNC=full) the database file synced. On
// the register bench (2 cores, 16 connections) that was part of the p99.
// Here the lane's connection gets a WAL hook instead of the automatic
// checkpoint: past kWakePages it only wakes this thread, which runs a
// PASSIVE checkpoint (it copies what no reader still needs, waits for no
// lock, and lets the lane commit meanwhile) on a connection of its own,
// below the request threads' priority. Should the log still reach
// kBackstopPages (the thread starved, readers holding old snapshots), the
// committing thread checkpoints itself, as SQLite would have.
#ifndef FCGI_STORAGE_SQLITE_CHECKPOINTER_H_
#define FCGI_STORAGE_SQLITE_CHECKPOINTER_H_

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "storage/sqlite/db.h"

namespace reg {

class Checkpointer {
 public:
  // SQLite's own automatic checkpoint threshold (4 MiB of 4 KiB pages).
  static constexpr int kWakePages = 1000;
  // Where the committing thread checkpoints after all (64 MiB).
  static constexpr int kBackstopPages = 16000;

  // Opens its connection to "path" and hooks "writer" (the write lane's
  // connection, which must outlive this object).
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path,
                                                     bool sync_full,
                                                     Database* writer);
  // Unhooks the writer, stops the thread and joins it.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run on the thread so far (for tests).
  std::int64_t runs() const;

 private:
  Checkpointer(std::unique_ptr<Database> db, Database* writer);
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Loop();

  std::unique_ptr<Database> db_;  // the thread's own
  Database* const writer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::int64_t runs_ = 0;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_CHECKPOINTER_H_
