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

class SqliteWriteLaneTest : public ::testing::Test {
 protected:
  WriteLane& Open(bool sync_full) {
    Result<std::unique_ptr<WriteLane>> lane =
        WriteLane::Open(path(), true, sync_full);
    EXPECT_OK(lane);
    lane_ = std::move(lane).value();
    return *lane_;
  }
  // Runs one piece; returns the flushes of the log it waited for.
  std::int64_t FlushesFor(Durability durability) {
    const std::int64_t before = lane_->syncs();
    EXPECT_OK(lane_->Run(durability, InsertRow(1)));
    return lane_->syncs() - before;
  }
  std::string path() const { return dir_.File("reg.db"); }

  TempDir dir_;
  std::unique_ptr<WriteLane> lane_;
};

TEST_F(SqliteWriteLaneTest, ADurablePieceIsDoneOnlyAfterTheLogIsFlushed) {
  Open(/*sync_full=*/true);
  EXPECT_GE(FlushesFor(Durability::kDurable), 1);
  EXPECT_EQ(CountRows(path()), 1);
}

TEST_F(SqliteWriteLaneTest, ARelaxedPieceWaitsForNoFlush) {
  Open(/*sync_full=*/true);
  EXPECT_EQ(FlushesFor(Durability::kRelaxed), 0);
  EXPECT_EQ(CountRows(path()), 1);
}

TEST_F(SqliteWriteLaneTest, WithSyncNormalNothingIsFlushed) {
  Open(/*sync_full=*/false);
  EXPECT_EQ(FlushesFor(Durability::kDurable), 0);
  EXPECT_EQ(lane_->syncs(), 0);
}

TEST_F(SqliteWriteLaneTest, ManyThreadsDurablePiecesAreAllDoneAndWritten) {
  WriteLane& lane = Open(/*sync_full=*/true);
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; i++) {
        const Durability d =
            i % 3 == 0 ? Durability::kRelaxed : Durability::kDurable;
        if (!lane.Run(d, InsertRow(t * kEach + i)).ok()) {
          failures[t]++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; t++) EXPECT_EQ(failures[t], 0) << t;
  EXPECT_GE(lane.syncs(), 1);
  // Closing the lane (its threads joined) loses nothing.
  lane_.reset();
  EXPECT_EQ(CountRows(path()), kThreads * kEach);
}

}  // namespace
}  // namespace reg
