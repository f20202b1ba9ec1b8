// SqliteStorage: the connections and the write lane (engine.h).
#include "storage/sqlite/engine.h"

namespace reg {

Result<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(
    const std::string& path, bool create, bool sync_full, const Clock* clock,
    OutboxPolicy policy) {
  Result<std::unique_ptr<WriteLane>> lane =
      WriteLane::Open(path, create, sync_full);
  if (!lane.ok()) return lane.status();
  return std::unique_ptr<SqliteStorage>(new SqliteStorage(
      path, sync_full, clock, std::move(policy), std::move(lane).value()));
}

// Each connection opens on its first read (Reader): a thread that only
// writes never holds one.
Result<std::unique_ptr<Store>> SqliteStorage::NewStore() {
  return std::unique_ptr<Store>(new SqliteStore(
      std::make_unique<Reader>(path_, sync_full_), lane_.get(), clock_));
}

Result<std::unique_ptr<Outbox>> SqliteStorage::NewOutbox() {
  return std::unique_ptr<Outbox>(
      new SqliteOutbox(std::make_unique<Reader>(path_, sync_full_), lane_.get(),
                       clock_, policy_));
}

}  // namespace reg
