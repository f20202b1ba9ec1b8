// PostgreSQL's bounces and suppressions (storage/bounces.h).
#include "storage/postgres/engine.h"

namespace reg {

Result<std::vector<SuppressionRow>> PgStore::ListSuppressions(int limit) {
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  Result<PgRows> list = conn_->Query(
      "SELECT address, status, coalesce(job_id, 0), since_ms, until_ms "
      "FROM suppressions WHERE until_ms > $1 "
      "ORDER BY since_ms DESC, address LIMIT $2",
      {now.value(), limit});
  if (!list.ok()) return list.status();
  std::vector<SuppressionRow> rows;
  const PgRows& r = list.value();
  for (int i = 0; i < r.size(); i++) {
    rows.push_back(
        {r.Text(i, 0), r.Text(i, 1), r.Int(i, 2), r.Int(i, 3), r.Int(i, 4)});
  }
  return rows;
}

Status PgStore::Unsuppress(const std::string& address) {
  bool lifted = false;
  Status s = lane_->Run(Durability::kDurable, [&](PgTxn& txn) -> Status {
    Result<PgRows> lift = txn.conn().Query(
        "UPDATE suppressions SET until_ms = $1, lifted_ms = $1 "
        "WHERE address = $2 AND until_ms > $1",
        {txn.now_ms(), address});
    if (!lift.ok()) return lift.status();
    lifted = lift.value().affected() > 0;
    return Status();
  });
  if (!s.ok()) return s;
  if (!lifted) return Status::NotFound(address + " is not suppressed");
  return Status();
}

Status PgOutbox::MarkRefused(const ClaimedJob& job, std::string_view reply) {
  // The failure and the suppression it makes, in one transaction.
  return Finish(job, Outcome::kFailed, reply, "",
                [&](TxnRows& rows, std::int64_t now) {
                  return SuppressRefused(rows, job.id, reply, now,
                                         policy_.suppress_ms);
                });
}

}  // namespace reg
