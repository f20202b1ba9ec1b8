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

Result<std::unique_ptr<Store>> SqliteStorage::NewStore() {
  Result<std::unique_ptr<Database>> reader =
      Database::Open(path_, false, sync_full_);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<Store>(
      new SqliteStore(std::move(reader).value(), lane_.get(), clock_, policy_));
}

Result<std::unique_ptr<Outbox>> SqliteStorage::NewOutbox() {
  Result<std::unique_ptr<Database>> reader =
      Database::Open(path_, false, sync_full_);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<Outbox>(new SqliteOutbox(
      std::move(reader).value(), lane_.get(), clock_, policy_));
}

}  // namespace reg
