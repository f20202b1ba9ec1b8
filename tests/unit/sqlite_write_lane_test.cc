// The SQLite write lane's flush (storage/sqlite/write_lane.h): a durable
// piece is done only after an fdatasync of the log that followed its
// commit; a relaxed one waits for none; SQLITE_SYNC=normal flushes nothing.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/write_lane.h"
#include "testutil.h"

namespace reg {
namespace {

WriteLane::Work InsertRow(int value) {
  return [value](SqliteTxn& txn) -> Status {
    if (Status s =
            txn.db().Exec("CREATE TABLE IF NOT EXISTS lane_rows (v INTEGER)");
        !s.ok()) {
      return s;
    }
    Stmt insert(txn.db(), "lane row", "INSERT INTO lane_rows VALUES (?)");
    return insert.Int(value).Run();
  };
}

std::int64_t CountRows(const std::string& path) {
  Result<std::unique_ptr<Database>> db =
      Database::Open(path, /*create=*/false, true, /*migrate=*/false);
  if (!db.ok()) return -1;
  Stmt count(*db.value(), "count", "SELECT count(*) FROM lane_rows");
  Result<bool> row = count.Step();
  return row.ok() && row.value() ? count.ColumnInt(0) : -1;
}

TEST(SqliteWriteLane, ADurablePieceIsDoneOnlyAfterTheLogIsFlushed) {
  TempDir dir;
  Result<std::unique_ptr<WriteLane>> lane =
      WriteLane::Open(dir.File("reg.db"), true, /*sync_full=*/true);
  ASSERT_OK(lane);
  const std::int64_t before = lane.value()->syncs();
  ASSERT_OK(lane.value()->Run(Durability::kDurable, InsertRow(1)));
  EXPECT_GT(lane.value()->syncs(), before);
  EXPECT_EQ(CountRows(dir.File("reg.db")), 1);
}

TEST(SqliteWriteLane, ARelaxedPieceWaitsForNoFlush) {
  TempDir dir;
  Result<std::unique_ptr<WriteLane>> lane =
      WriteLane::Open(dir.File("reg.db"), true, /*sync_full=*/true);
  ASSERT_OK(lane);
  const std::int64_t before = lane.value()->syncs();
  ASSERT_OK(lane.value()->Run(Durability::kRelaxed, InsertRow(1)));
  EXPECT_EQ(lane.value()->syncs(), before);
  EXPECT_EQ(CountRows(dir.File("reg.db")), 1);
}

TEST(SqliteWriteLane, WithSyncNormalNothingIsFlushed) {
  TempDir dir;
  Result<std::unique_ptr<WriteLane>> lane =
      WriteLane::Open(dir.File("reg.db"), true, /*sync_full=*/false);
  ASSERT_OK(lane);
  ASSERT_OK(lane.value()->Run(Durability::kDurable, InsertRow(1)));
  EXPECT_EQ(lane.value()->syncs(), 0);
}

TEST(SqliteWriteLane, ManyThreadsDurablePiecesAreAllDoneAndWritten) {
  TempDir dir;
  Result<std::unique_ptr<WriteLane>> lane =
      WriteLane::Open(dir.File("reg.db"), true, /*sync_full=*/true);
  ASSERT_OK(lane);
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; i++) {
        const Durability d =
            i % 3 == 0 ? Durability::kRelaxed : Durability::kDurable;
        if (!lane.value()->Run(d, InsertRow(t * kEach + i)).ok()) {
          failures[t]++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; t++) EXPECT_EQ(failures[t], 0) << t;
  EXPECT_GE(lane.value()->syncs(), 1);
  // Closing the lane (its threads joined) loses nothing.
  lane.value().reset();
  EXPECT_EQ(CountRows(dir.File("reg.db")), kThreads * kEach);
}

}  // namespace
}  // namespace reg
