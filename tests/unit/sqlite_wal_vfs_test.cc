// The write lane's VFS (storage/sqlite/wal_vfs.h): a transaction's frames
// reach the log in one write, are read by other connections as soon as it
// commits, and what it holds back is never seen and never written over
// another connection's frames: not after a savepoint's or a transaction's
// rollback, not after another connection's checkpoint, not after a
// process dies in the middle of a transaction.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "storage/sqlite/db.h"
#include "storage/sqlite/wal_vfs.h"
#include "testutil.h"

namespace reg {
namespace {

// Rows "from" to "to" of about 3,000 bytes each (one to a page).
std::string InsertRows(int from, int to) {
  return "WITH RECURSIVE s(n) AS (SELECT " + std::to_string(from) +
         " UNION ALL SELECT n + 1 FROM s WHERE n < " + std::to_string(to) +
         ") INSERT INTO t SELECT n, randomblob(3000) FROM s";
}

class SqliteWalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenWith(WalAppendVfs());
    ASSERT_NE(db_, nullptr);
    ASSERT_OK(db_->Exec("CREATE TABLE t (n INTEGER, b BLOB)"));
  }
  // The test's database, through "vfs" (nullptr: SQLite's own).
  std::unique_ptr<Database> OpenWith(const char* vfs) {
    Result<std::unique_ptr<Database>> db = Database::Open(
        dir_.File("wal.db"), /*create=*/true, /*sync_full=*/false,
        /*migrate=*/false, vfs);
    EXPECT_OK(db);
    return db.ok() ? std::move(db).value() : nullptr;
  }
  // Evaluates "sql" (one integer) on "db"; -1 on error.
  static std::int64_t One(Database& db, const char* sql) {
    Stmt q(db, "test query", sql);
    Result<bool> row = q.Step();
    return row.ok() && row.value() ? q.ColumnInt(0) : -1;
  }
  // Closes the test's connection and checks the file through SQLite's own
  // VFS: whole, with "rows" rows.
  void ExpectWholeWithRows(std::int64_t rows) {
    db_.reset();
    std::unique_ptr<Database> db = OpenWith(nullptr);
    ASSERT_NE(db, nullptr);
    Stmt check(*db, "integrity", "PRAGMA integrity_check");
    Result<bool> row = check.Step();
    ASSERT_OK(row);
    EXPECT_EQ(check.ColumnText(0), "ok");
    EXPECT_EQ(One(*db, "SELECT count(*) FROM t"), rows);
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteWalVfsTest, ACommitReachesTheLogInOneWriteAndIsReadAtOnce) {
  std::unique_ptr<Database> reader = OpenWith(nullptr);
  ASSERT_NE(reader, nullptr);
  for (int i = 0; i < 3; i++) {
    const std::int64_t before = WalAppendWrites();
    // 20 pages of rows and the table's own: about 90 KiB of frames, which
    // SQLite writes in 42 calls.
    ASSERT_OK(db_->Exec(InsertRows(20 * i, 20 * i + 19).c_str()));
    EXPECT_EQ(WalAppendWrites() - before, 1);
    EXPECT_EQ(One(*reader, "SELECT count(*) FROM t"), 20 * (i + 1));
  }
  ExpectWholeWithRows(60);
}

TEST_F(SqliteWalVfsTest, ALargeTransactionIsWrittenInPartsAndKeptWhole) {
  // A page cache of 50 pages: SQLite spills the transaction's pages to the
  // log before its commit, and reads them back.
  ASSERT_OK(db_->Exec("PRAGMA cache_size=50"));
  const std::int64_t before = WalAppendWrites();
  ASSERT_OK(db_->Exec(("BEGIN; " + InsertRows(0, 399)).c_str()));  // 1.6 MiB
  // Every row read back before the commit, the pages just spilled too.
  EXPECT_EQ(One(*db_, "SELECT sum(n) FROM t"), 399 * 400 / 2);
  ASSERT_OK(db_->Exec("COMMIT"));
  EXPECT_GE(WalAppendWrites() - before, 13);  // at most 124 KiB a write
  ExpectWholeWithRows(400);
}

TEST_F(SqliteWalVfsTest, ASavepointRolledBackAndACheckpointLeaveTheFileWhole) {
  ASSERT_OK(db_->Exec("PRAGMA cache_size=50"));
  // The savepoint's rows spill to the log; after the rollback the
  // transaction writes its next frames over them.
  ASSERT_OK(db_->Exec(("BEGIN; " + InsertRows(0, 9) + "; SAVEPOINT s; " +
                       InsertRows(10, 399) + "; ROLLBACK TO s; RELEASE s; " +
                       InsertRows(1000, 1009) + "; COMMIT")
                          .c_str()));
  std::unique_ptr<Database> other = OpenWith(nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(One(*other, "SELECT count(*) FROM t"), 20);
  EXPECT_EQ(One(*other, "SELECT count(*) FROM t WHERE n BETWEEN 10 AND 399"),
            0);
  // The log starts again from its beginning, under the VFS's connection.
  EXPECT_EQ(One(*other, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);  // not busy
  ASSERT_OK(db_->Exec(InsertRows(2000, 2004).c_str()));
  EXPECT_EQ(One(*other, "SELECT count(*) FROM t"), 25);
  other.reset();
  ExpectWholeWithRows(25);
}

TEST_F(SqliteWalVfsTest, WhatIsHeldWhenTheLogIsReleasedIsNeverWritten) {
  // SQLite's own rollbacks re-read the database's first page from the log,
  // which writes what was held while the lock is still held; this takes
  // the lock by hand to leave a frame held when it is released, as a
  // rollback that reads nothing would.
  sqlite3_file* db_file = nullptr;
  sqlite3_file* log = nullptr;
  ASSERT_EQ(sqlite3_file_control(db_->raw(), "main", SQLITE_FCNTL_FILE_POINTER,
                                 &db_file),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_file_control(db_->raw(), "main",
                                 SQLITE_FCNTL_JOURNAL_POINTER, &log),
            SQLITE_OK);
  ASSERT_NE(log, nullptr);
  sqlite3_int64 end = 0;
  ASSERT_EQ(log->pMethods->xFileSize(log, &end), SQLITE_OK);
  const int write_lock = SQLITE_SHM_EXCLUSIVE;
  ASSERT_EQ(
      db_file->pMethods->xShmLock(db_file, 0, 1, SQLITE_SHM_LOCK | write_lock),
      SQLITE_OK);
  // A frame of no commit (its header's database size 0), of junk.
  const std::string header(24, '\0'), page(4096, 'x');
  ASSERT_EQ(log->pMethods->xWrite(log, header.data(), 24, end), SQLITE_OK);
  ASSERT_EQ(log->pMethods->xWrite(log, page.data(), 4096, end + 24), SQLITE_OK);
  const std::int64_t dropped = WalAppendDropped();
  ASSERT_EQ(db_file->pMethods->xShmLock(db_file, 0, 1,
                                        SQLITE_SHM_UNLOCK | write_lock),
            SQLITE_OK);
  EXPECT_EQ(WalAppendDropped() - dropped, 24 + 4096);
  // Another connection's commit goes where the frame would have gone; the
  // VFS's next commit follows it.
  std::unique_ptr<Database> other = OpenWith(nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_OK(other->Exec(InsertRows(100, 104).c_str()));
  ASSERT_OK(db_->Exec(InsertRows(200, 204).c_str()));
  EXPECT_EQ(One(*other, "SELECT count(*) FROM t WHERE n BETWEEN 100 AND 104"),
            5);
  other.reset();
  ExpectWholeWithRows(10);
}

TEST_F(SqliteWalVfsTest,
       APageWrittenTwiceInATransactionIsRecoveredAfterACrash) {
  // The transaction's first pages spill to the log, then change again:
  // SQLite writes them again in place and, at the commit, rewrites the
  // checksums of the frames' headers after them, the commit frame's last.
  // A process that dies then leaves the log to the next one's recovery,
  // which checks every checksum and stops at the first wrong one.
  db_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::unique_ptr<Database> db = OpenWith(WalAppendVfs());
    const bool committed =
        db != nullptr && db->Exec("PRAGMA cache_size=10").ok() &&
        db->Exec(("BEGIN; " + InsertRows(0, 59) +
                  "; UPDATE t SET b = randomblob(3000) WHERE n < 5; COMMIT")
                     .c_str())
            .ok();
    _exit(committed ? 0 : 1);  // no close: the log stays as it is
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ExpectWholeWithRows(60);
}

TEST_F(SqliteWalVfsTest, AProcessThatDiesInATransactionLeavesOnlyItsCommits) {
  db_.reset();  // the child opens its own
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::unique_ptr<Database> db = OpenWith(WalAppendVfs());
    const bool committed =
        db != nullptr && db->Exec(InsertRows(0, 4).c_str()).ok() &&
        db->Exec(("BEGIN; " + InsertRows(5, 99)).c_str()).ok();
    _exit(committed ? 0 : 1);  // no COMMIT, no close
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ExpectWholeWithRows(5);
}

}  // namespace
}  // namespace reg
