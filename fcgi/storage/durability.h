// Durability: how a write lane's piece reaches the disk, on either engine
// (storage/sqlite/write_lane.h, storage/postgres/write_lane.h).
#ifndef FCGI_STORAGE_DURABILITY_H_
#define FCGI_STORAGE_DURABILITY_H_

namespace reg {

// kDurable: on disk before the lane's Run returns (SQLite: synchronous=FULL,
// unless the lane was opened with NORMAL; PostgreSQL: synchronous_commit
// on, the WAL flushed). kRelaxed: committed without waiting for its own
// flush; it survives a crash of the process, and the next durable commit
// (which flushes the log up to itself) makes it survive power loss too.
// A batch is durable if any of its pieces is.
enum class Durability { kDurable, kRelaxed };

}  // namespace reg

#endif  // FCGI_STORAGE_DURABILITY_H_
