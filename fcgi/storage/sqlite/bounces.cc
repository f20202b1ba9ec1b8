// SQLite's bounces and suppressions (storage/bounces.h).
#include "storage/sqlite/engine.h"

namespace reg {

Result<std::vector<SuppressionRow>> SqliteStore::ListSuppressions(int limit) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt list(*reader.value(), "list suppressions",
            "SELECT address, status, coalesce(job_id, 0), since_ms, until_ms "
            "FROM suppressions WHERE until_ms > ? "
            "ORDER BY since_ms DESC, address LIMIT ?");
  list.Int(clock_->NowMs()).Int(limit);
  std::vector<SuppressionRow> rows;
  for (;;) {
    Result<bool> row = list.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    rows.push_back({list.ColumnText(0), list.ColumnText(1), list.ColumnInt(2),
                    list.ColumnInt(3), list.ColumnInt(4)});
  }
  return rows;
}

Status SqliteStore::Unsuppress(const std::string& address) {
  bool lifted = false;
  Status s = lane_->Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
    const std::int64_t now = clock_->NowMs();
    Stmt lift(txn.db(), "unsuppress",
              "UPDATE suppressions SET until_ms = ?1, lifted_ms = ?1 "
              "WHERE address = ?2 AND until_ms > ?1");
    lift.Int(now).Text(address);
    Status st = lift.Run();
    lifted = st.ok() && lift.changes() > 0;
    return st;
  });
  if (!s.ok()) return s;
  if (!lifted) return Status::NotFound(address + " is not suppressed");
  return Status();
}

Status SqliteOutbox::MarkRefused(const ClaimedJob& job,
                                 std::string_view reply) {
  // The failure and the suppression it makes, in one transaction.
  return Finish(job, "failed", 0, reply, "failed", "",
                [&](TxnRows& rows, std::int64_t now) {
                  return SuppressRefused(rows, job.id, reply, now,
                                         policy_.suppress_ms);
                })
      .status();
}

}  // namespace reg
