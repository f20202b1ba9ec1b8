#include "storage/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "base/log.h"

namespace reg {
namespace {

// A frame's header (WAL_FRAME_HDRSIZE in SQLite's wal.c): page number,
// then the database's size in pages, which only a commit frame holds.
constexpr int kWalFrameHeader = 24;
// Held writes go to the file in one write of at most this: the default
// VFS writes at most 128 KiB - 1 at once (seekAndWrite masks the length
// with 0x1ffff, SQLite's pages being 64 KiB at most). A registration's
// commit, 22 frames of 4 KiB, is 90 KiB.
constexpr sqlite3_int64 kWalMaxHeld = 124 * 1024;

std::atomic<std::int64_t> wal_writes{0};
std::atomic<std::int64_t> wal_dropped{0};
sqlite3_vfs* wal_inner = nullptr;  // SQLite's default VFS
sqlite3_vfs wal_vfs;               // it, but for xOpen and szOsFile

// SQLite's lock on the log's appends (WAL_WRITE_LOCK in wal.c): the first
// of the wal-index's locks, held for a whole write transaction.
constexpr int kWalWriteLock = 0;

// A file open through this VFS: what SQLite sees, then the default VFS's
// file, which follows in the memory SQLite gives (szOsFile).
struct Wrapper {
  sqlite3_file base;
  sqlite3_file* real;
};

struct DbFile;

// A log open through this VFS.
struct WalFile {
  Wrapper wrapper;  // first
  // Its database's file, which tells when a transaction ends; null (a
  // database file not opened through this VFS, or closed first): every
  // write goes to the file at once.
  DbFile* db;
  char* held;  // writes not yet in the file, from held_at on
  sqlite3_int64 held_at;
  sqlite3_int64 held_len;  // at most kWalMaxHeld
  bool commit_next;        // the last write was a commit frame's header
};

// A database file open through this VFS: SQLite's own, but for its
// wal-index locks, which tell when a write transaction ends (see DbShmLock).
struct DbFile {
  Wrapper wrapper;   // first
  const char* name;  // the connection's file name (its key in DbFiles())
  WalFile* wal;      // its log, while open
};

constexpr int kWalRealOffset =
    (std::max(sizeof(WalFile), sizeof(DbFile)) + 7) & ~7;

WalFile* AsWal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }
DbFile* AsDb(sqlite3_file* file) { return reinterpret_cast<DbFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) {
  return reinterpret_cast<Wrapper*>(file)->real;
}

// The open database files by their connection's file name (the pointer
// SQLite passes to xOpen, and sqlite3_filename_database gives back for the
// log's name: one per connection), so a log finds its database's file.
std::mutex db_files_mu;
std::map<const char*, DbFile*>& DbFiles() {
  static auto* files = new std::map<const char*, DbFile*>;
  return *files;
}

// What either file passes to the default VFS's file as it is:
// Forward<&sqlite3_io_methods::xRead>::Call calls the real file's xRead.
template <auto Method>
struct Forward;
template <class R, class... Args,
          R (*sqlite3_io_methods::*Method)(sqlite3_file*, Args...)>
struct Forward<Method> {
  static R Call(sqlite3_file* file, Args... args) {
    sqlite3_file* real = Real(file);
    return (real->pMethods->*Method)(real, args...);
  }
};
#define REG_FORWARD(x) Forward<&sqlite3_io_methods::x>::Call

int WalFlush(WalFile* f) {
  if (f->held_len == 0) return SQLITE_OK;
  const int len = static_cast<int>(f->held_len);
  f->held_len = 0;
  wal_writes.fetch_add(1, std::memory_order_relaxed);
  return f->wrapper.real->pMethods->xWrite(f->wrapper.real, f->held, len,
                                           f->held_at);
}

int WalWrite(sqlite3_file* file, const void* data, int n, sqlite3_int64 at) {
  WalFile* f = AsWal(file);
  if (f->db == nullptr) {
    wal_writes.fetch_add(1, std::memory_order_relaxed);
    return REG_FORWARD(xWrite)(file, data, n, at);
  }
  if (f->held_len > 0 &&
      (at != f->held_at + f->held_len || f->held_len + n > kWalMaxHeld)) {
    if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  }
  if (n > kWalMaxHeld) {
    wal_writes.fetch_add(1, std::memory_order_relaxed);
    return REG_FORWARD(xWrite)(file, data, n, at);
  }
  if (f->held == nullptr) {
    f->held = static_cast<char*>(sqlite3_malloc64(kWalMaxHeld));
    if (f->held == nullptr) return SQLITE_IOERR_NOMEM;
  }
  if (f->held_len == 0) f->held_at = at;
  std::memcpy(f->held + f->held_len, data, n);
  f->held_len += n;
  const bool commit_page = f->commit_next;
  const unsigned char* bytes = static_cast<const unsigned char*>(data);
  f->commit_next =
      n == kWalFrameHeader && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  // The commit frame's page: the transaction is whole, write it.
  return commit_page ? WalFlush(f) : SQLITE_OK;
}

int WalClose(sqlite3_file* file) {
  WalFile* f = AsWal(file);
  if (f->db != nullptr) f->db->wal = nullptr;
  // Whatever is held belongs to no commit (see DbShmLock): dropped.
  const int closed = f->wrapper.real->pMethods->xClose(f->wrapper.real);
  sqlite3_free(f->held);
  f->held = nullptr;
  return closed;
}

int WalRead(sqlite3_file* file, void* data, int n, sqlite3_int64 at) {
  if (int rc = WalFlush(AsWal(file)); rc != SQLITE_OK) return rc;
  return REG_FORWARD(xRead)(file, data, n, at);
}

int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = WalFlush(AsWal(file)); rc != SQLITE_OK) return rc;
  return REG_FORWARD(xTruncate)(file, size);
}

int WalSync(sqlite3_file* file, int flags) {
  if (int rc = WalFlush(AsWal(file)); rc != SQLITE_OK) return rc;
  return REG_FORWARD(xSync)(file, flags);
}

int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = WalFlush(AsWal(file)); rc != SQLITE_OK) return rc;
  return REG_FORWARD(xFileSize)(file, size);
}

int WalFileControl(sqlite3_file* file, int op, void* arg) {
  if (int rc = WalFlush(AsWal(file)); rc != SQLITE_OK) return rc;
  return REG_FORWARD(xFileControl)(file, op, arg);
}

int DbClose(sqlite3_file* file) {
  DbFile* f = AsDb(file);
  if (f->wal != nullptr) f->wal->db = nullptr;
  {
    std::lock_guard<std::mutex> lock(db_files_mu);
    DbFiles().erase(f->name);
  }
  return f->wrapper.real->pMethods->xClose(f->wrapper.real);
}

// Where a write transaction ends, committed or not: held writes never
// outlive it. A commit's were written at its commit frame, so what is
// still held when SQLite lets go of the log (a transaction rolled back
// after some of its pages spilled, or whose commit failed) belongs to no
// commit, and once the lock is released another connection may write its
// own frames there: written later, it would overwrite them. Dropped.
int DbShmLock(sqlite3_file* file, int offset, int n, int flags) {
  DbFile* f = AsDb(file);
  if (offset == kWalWriteLock && (flags & SQLITE_SHM_UNLOCK) != 0 &&
      f->wal != nullptr && f->wal->held_len > 0) {
    wal_dropped.fetch_add(f->wal->held_len, std::memory_order_relaxed);
    f->wal->held_len = 0;
    f->wal->commit_next = false;
  }
  return REG_FORWARD(xShmLock)(file, offset, n, flags);
}

// SQLite publishes a new wal-index header (a commit, to the readers)
// across this barrier: what the log holds goes to the file first. A
// commit's frames went at its commit frame's page already, with their
// error to SQLite; what can be left is a header SQLite rewrote after it
// (walRewriteChecksums, when the transaction wrote a page twice). The
// barrier cannot fail: a write that fails here stops the process, as a
// failed flush of the log does (write_lane.h), before any reader sees
// the commit.
void DbShmBarrier(sqlite3_file* file) {
  DbFile* f = AsDb(file);
  if (f->wal != nullptr && WalFlush(f->wal) != SQLITE_OK) {
    Log("writing the database's log failed; stopping");
    std::abort();
  }
  REG_FORWARD(xShmBarrier)(file);
}

const sqlite3_io_methods kDbMethods = {
    3,
    DbClose,
    REG_FORWARD(xRead),
    REG_FORWARD(xWrite),
    REG_FORWARD(xTruncate),
    REG_FORWARD(xSync),
    REG_FORWARD(xFileSize),
    REG_FORWARD(xLock),
    REG_FORWARD(xUnlock),
    REG_FORWARD(xCheckReservedLock),
    REG_FORWARD(xFileControl),
    REG_FORWARD(xSectorSize),
    REG_FORWARD(xDeviceCharacteristics),
    REG_FORWARD(xShmMap),
    DbShmLock,
    DbShmBarrier,
    REG_FORWARD(xShmUnmap),
    REG_FORWARD(xFetch),
    REG_FORWARD(xUnfetch),
};

// Version 1: a log has no shared memory and is never memory-mapped.
const sqlite3_io_methods kWalMethods = {
    1,
    WalClose,
    WalRead,
    WalWrite,
    WalTruncate,
    WalSync,
    WalFileSize,
    REG_FORWARD(xLock),
    REG_FORWARD(xUnlock),
    REG_FORWARD(xCheckReservedLock),
    WalFileControl,
    REG_FORWARD(xSectorSize),
    REG_FORWARD(xDeviceCharacteristics),
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

#undef REG_FORWARD

sqlite3_file* RealOf(sqlite3_file* file) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) +
                                         kWalRealOffset);
}

int VfsOpen(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags,
            int* out_flags) {
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr) {
    DbFile* f = AsDb(file);
    std::memset(f, 0, sizeof(DbFile));
    f->wrapper.real = RealOf(file);
    f->name = name;
    const int rc =
        wal_inner->xOpen(wal_inner, name, f->wrapper.real, flags, out_flags);
    if (rc != SQLITE_OK) return rc;  // f->wrapper.base.pMethods stays null
    f->wrapper.base.pMethods = &kDbMethods;
    std::lock_guard<std::mutex> lock(db_files_mu);
    DbFiles()[name] = f;
    return SQLITE_OK;
  }
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    return wal_inner->xOpen(wal_inner, name, file, flags, out_flags);
  }
  WalFile* f = AsWal(file);
  std::memset(f, 0, sizeof(WalFile));
  f->wrapper.real = RealOf(file);
  const int rc =
      wal_inner->xOpen(wal_inner, name, f->wrapper.real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // f->wrapper.base.pMethods stays null
  f->wrapper.base.pMethods = &kWalMethods;
  std::lock_guard<std::mutex> lock(db_files_mu);
  // Without a database file of ours (f->db null) it holds nothing.
  auto db = DbFiles().find(sqlite3_filename_database(name));
  if (db != DbFiles().end()) {
    db->second->wal = f;
    f->db = db->second;
  }
  return SQLITE_OK;
}

}  // namespace

const char* WalAppendVfs() {
  static std::once_flag once;
  static const char* name = nullptr;
  std::call_once(once, [] {
    wal_inner = sqlite3_vfs_find(nullptr);
    if (wal_inner == nullptr) return;
    wal_vfs = *wal_inner;
    wal_vfs.zName = "reg-wal-append";
    wal_vfs.szOsFile = kWalRealOffset + wal_inner->szOsFile;
    wal_vfs.pNext = nullptr;
    wal_vfs.xOpen = VfsOpen;
    if (sqlite3_vfs_register(&wal_vfs, /*makeDflt=*/0) == SQLITE_OK) {
      name = wal_vfs.zName;
    }
  });
  return name;
}

std::int64_t WalAppendWrites() {
  return wal_writes.load(std::memory_order_relaxed);
}

std::int64_t WalAppendDropped() {
  return wal_dropped.load(std::memory_order_relaxed);
}

}  // namespace reg
