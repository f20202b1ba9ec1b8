// The write lane's VFS: SQLite's own (unix) with one change, each
// transaction's frames reach the log (the -wal file) in one write.
//
// SQLite appends a frame to the log in two writes, its 24-byte header and
// then its page, so a registration's commit (22 pages), its claim (5) and
// its mark (8) cost 82 pwrite calls, on the lane's one thread, where
// every call is expensive: on this project's 2-core virtual machines a
// frame written so took 4.3-6.1 µs, against 0.5-0.7 µs written with 40
// others in one call. This VFS keeps a log's writes that follow one
// another in memory and writes them as one when a commit frame's page
// comes (a frame whose header holds the database's size), and before
// anything else touches the file (a read, a write elsewhere, a sync, a
// truncation, its size, a file control). So the commit is in
// the file before SQLite makes it visible to readers (the wal-index
// header, written after the frames), and a failed write fails the commit;
// whatever is still held when SQLite publishes a wal-index header (its
// database file's barrier: a frame header it rewrote after the commit
// frame) goes to the file then, and a write that fails there stops the
// process. What is still held when the transaction ends (SQLite releases the
// wal-index's write lock) belongs to no commit, a transaction rolled back
// after some of its pages spilled to the log, and is dropped: once the
// lock is free another connection may put its own frames there. So is
// what is held at the close. A log whose database file was not opened
// through this VFS holds nothing. The other files are SQLite's own.
#ifndef FCGI_STORAGE_SQLITE_WAL_VFS_H_
#define FCGI_STORAGE_SQLITE_WAL_VFS_H_

#include <cstdint>

namespace reg {

// The VFS's name, for sqlite3_open_v2 (registered on first call, not as
// the default). Thread-safe.
const char* WalAppendVfs();

// Writes this VFS has made to logs since the process started, and bytes
// it dropped at the end of a transaction that did not commit (the tests'
// view). Thread-safe.
std::int64_t WalAppendWrites();
std::int64_t WalAppendDropped();

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_WAL_VFS_H_
