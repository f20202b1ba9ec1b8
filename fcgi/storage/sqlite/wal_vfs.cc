#include "storage/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

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
sqlite3_vfs* wal_inner = nullptr;  // SQLite's default VFS
sqlite3_vfs wal_vfs;               // it, but for xOpen and szOsFile

// A log open through this VFS; the default VFS's file follows it in the
// memory SQLite gives (szOsFile).
struct WalFile {
  sqlite3_file base;  // first: SQLite sees this
  sqlite3_file* real;
  char* held;  // writes not yet in the file, from held_at on
  sqlite3_int64 held_at;
  sqlite3_int64 held_len;  // at most kWalMaxHeld
  bool commit_next;  // the last write was a commit frame's header
};

constexpr int kWalRealOffset = (sizeof(WalFile) + 7) & ~7;

WalFile* AsWal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }

int WalFlush(WalFile* f) {
  if (f->held_len == 0) return SQLITE_OK;
  const int len = static_cast<int>(f->held_len);
  f->held_len = 0;
  wal_writes.fetch_add(1, std::memory_order_relaxed);
  return f->real->pMethods->xWrite(f->real, f->held, len, f->held_at);
}

int WalWrite(sqlite3_file* file, const void* data, int n, sqlite3_int64 at) {
  WalFile* f = AsWal(file);
  if (f->held_len > 0 &&
      (at != f->held_at + f->held_len || f->held_len + n > kWalMaxHeld)) {
    if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  }
  if (n > kWalMaxHeld) {
    wal_writes.fetch_add(1, std::memory_order_relaxed);
    return f->real->pMethods->xWrite(f->real, data, n, at);
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
  f->commit_next = n == kWalFrameHeader &&
                   (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  // The commit frame's page: the transaction is whole, write it.
  return commit_page ? WalFlush(f) : SQLITE_OK;
}

int WalClose(sqlite3_file* file) {
  WalFile* f = AsWal(file);
  const int flushed = WalFlush(f);
  const int closed = f->real->pMethods->xClose(f->real);
  sqlite3_free(f->held);
  f->held = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int WalRead(sqlite3_file* file, void* data, int n, sqlite3_int64 at) {
  WalFile* f = AsWal(file);
  if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, data, n, at);
}

int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = AsWal(file);
  if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

int WalSync(sqlite3_file* file, int flags) {
  WalFile* f = AsWal(file);
  if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = AsWal(file);
  if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

int WalLock(sqlite3_file* file, int lock) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xLock(real, lock);
}

int WalUnlock(sqlite3_file* file, int lock) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xUnlock(real, lock);
}

int WalCheckReservedLock(sqlite3_file* file, int* out) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xCheckReservedLock(real, out);
}

int WalFileControl(sqlite3_file* file, int op, void* arg) {
  WalFile* f = AsWal(file);
  if (int rc = WalFlush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int WalSectorSize(sqlite3_file* file) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xSectorSize(real);
}

int WalDeviceCharacteristics(sqlite3_file* file) {
  sqlite3_file* real = AsWal(file)->real;
  return real->pMethods->xDeviceCharacteristics(real);
}

// Version 1: a log has no shared memory and is never memory-mapped.
const sqlite3_io_methods kWalMethods = {
    1,         WalClose,     WalRead,           WalWrite,
    WalTruncate, WalSync,    WalFileSize,       WalLock,
    WalUnlock, WalCheckReservedLock, WalFileControl, WalSectorSize,
    WalDeviceCharacteristics, nullptr, nullptr, nullptr,
    nullptr,   nullptr,      nullptr,
};

int WalOpen(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags,
            int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    return wal_inner->xOpen(wal_inner, name, file, flags, out_flags);
  }
  WalFile* f = AsWal(file);
  std::memset(f, 0, sizeof(WalFile));
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) +
                                            kWalRealOffset);
  const int rc = wal_inner->xOpen(wal_inner, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // f->base.pMethods stays null
  f->base.pMethods = &kWalMethods;
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
    wal_vfs.xOpen = WalOpen;
    if (sqlite3_vfs_register(&wal_vfs, /*makeDflt=*/0) == SQLITE_OK) {
      name = wal_vfs.zName;
    }
  });
  return name;
}

std::int64_t WalAppendWrites() {
  return wal_writes.load(std::memory_order_relaxed);
}

}  // namespace reg
