// The write lane's log is checkpointed by its own thread, never inside a
// batch's commit (storage/sqlite/checkpointer.h).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "storage/sqlite/write_lane.h"
#include "testutil.h"

namespace reg {
namespace {

off_t FileBytes(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// "batches" commits of "rows" rows of 8 KiB each, through the lane.
void FillThroughLane(WriteLane& lane, int batches, int rows) {
  const std::string blob(8192, 'x');
  for (int b = 0; b < batches; b++) {
    ASSERT_OK(lane.Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
      if (Status s = txn.db().Exec(
              "CREATE TABLE IF NOT EXISTS checkpoint_fill (b BLOB)");
          !s.ok()) {
        return s;
      }
      for (int r = 0; r < rows; r++) {
        Stmt insert(txn.db(), "fill", "INSERT INTO checkpoint_fill VALUES (?)");
        if (Status s = insert.Blob(blob).Run(); !s.ok()) return s;
      }
      return Status();
    }));
  }
}

TEST(SqliteCheckpointer, ALogPastAThousandPagesIsCopiedByItsThread) {
  TempDir dir;
  const std::string path = dir.File("reg.db");
  Result<std::unique_ptr<WriteLane>> lane = WriteLane::Open(path, true, true);
  ASSERT_OK(lane);
  const off_t before = FileBytes(path);
  // About 2,600 pages of 4 KiB in the log, in commits of 1.3 MiB.
  FillThroughLane(*lane.value(), 8, 160);
  // The pages reach the database file, and the thread copied them: with
  // SQLite's automatic checkpoint the commits would have, and runs() would
  // stay 0.
  EXPECT_TRUE(WaitFor([&] { return lane.value()->checkpointer().runs() > 0; }))
      << "no checkpoint ran on the checkpointer's thread";
  EXPECT_TRUE(WaitFor([&] { return FileBytes(path) >= before + 8 * 1024 * 1024; }))
      << "the database file is " << FileBytes(path) << " bytes";
}

TEST(SqliteCheckpointer, ASmallLogWakesNoCheckpoint) {
  TempDir dir;
  Result<std::unique_ptr<WriteLane>> lane =
      WriteLane::Open(dir.File("reg.db"), true, true);
  ASSERT_OK(lane);
  FillThroughLane(*lane.value(), 4, 10);  // about 100 pages
  EXPECT_EQ(lane.value()->checkpointer().runs(), 0);
}

}  // namespace
}  // namespace reg
