// SQLite's bounces and suppressions (storage/bounces.h).
#include "storage/sqlite/engine.h"

namespace reg {
namespace {

// Suppresses the recipient of mail job "job_id" for "suppress_ms" when a
// failure with "status" does (FailureSuppresses), inside the caller's
// transaction. True when it did.
Result<bool> SuppressRecipient(Database& db, std::int64_t job_id,
                               const std::string& status, std::int64_t now,
                               std::int64_t suppress_ms) {
  Stmt facts(db, "suppression facts",
             "SELECT o.rcpt, o.created_ms, max(coalesce(u.verified_ms, 0), "
             "coalesce(s.lifted_ms, 0)) FROM outbox o "
             "JOIN users u ON u.id = o.user_id "
             "LEFT JOIN suppressions s ON s.address = o.rcpt "
             "WHERE o.id = ? AND o.channel = 'mail'");
  facts.Int(job_id);
  Result<bool> row = facts.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return false;
  const std::string rcpt = facts.ColumnText(0);
  if (!FailureSuppresses(status, facts.ColumnInt(1), facts.ColumnInt(2), now,
                         suppress_ms)) {
    return false;
  }
  Stmt upsert(db, "suppress address",
              "INSERT INTO suppressions(address, status, job_id, since_ms, "
              "until_ms) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(address) DO "
              "UPDATE SET status = ?2, job_id = ?3, since_ms = ?4, "
              "until_ms = ?5");
  upsert.Text(rcpt).Text(status).Int(job_id).Int(now).Int(now + suppress_ms);
  Status s = upsert.Run();
  if (!s.ok()) return s;
  return true;
}

}  // namespace

Result<bool> IsSuppressed(Database& db, const std::string& address,
                          std::int64_t now) {
  Stmt find(db, "is suppressed",
            "SELECT 1 FROM suppressions WHERE address = ? AND until_ms > ?");
  find.Text(address).Int(now);
  return find.Step();
}

Result<NotificationResult> SqliteStore::RecordNotification(
    const Notification& n, std::int64_t suppress_ms) {
  NotificationResult result = NotificationResult::kNoSuchJob;
  Status s = lane_->Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    result = NotificationResult::kNoSuchJob;
    Stmt job(db, "notified job",
             "SELECT coalesce(dsn_action, '') FROM outbox WHERE id = ? "
             "AND channel = 'mail' AND lower(rcpt) = lower(?) "
             "AND created_ms / 1000 = ?");
    job.Int(n.job_id).Text(n.rcpt).Int(n.created_s);
    Result<bool> row = job.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return Status();
    const bool failed = n.action == "failed";
    const bool first_failure = failed && job.ColumnText(0) != "failed";
    // A failure stays: a later "delayed" does not undo it.
    Stmt record(db, "record notification",
                "UPDATE outbox SET dsn_action = ?1, dsn_status = ?2, "
                "dsn_ms = ?3 WHERE id = ?4 "
                "AND (?1 = 'failed' OR coalesce(dsn_action, '') <> 'failed')");
    record.Text(failed ? "failed" : "delayed").Text(n.status).Int(now).Int(
        n.job_id);
    if (Status st = record.Run(); !st.ok()) return st;
    if (Status st = RecordEvent(db, n.job_id, now,
                                failed ? "bounced" : "delayed",
                                NotificationDetail(n));
        !st.ok()) {
      return st;
    }
    if (first_failure) {
      if (Status st = AddCounter(db, "mail_bounced_total", 1); !st.ok()) {
        return st;
      }
    }
    result = NotificationResult::kRecorded;
    if (!failed) return Status();
    Result<bool> suppressed =
        SuppressRecipient(db, n.job_id, n.status, now, suppress_ms);
    if (!suppressed.ok()) return suppressed.status();
    if (suppressed.value()) result = NotificationResult::kSuppressed;
    return Status();
  });
  if (!s.ok()) return s;
  return result;
}

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
  Result<bool> changed = Finish(job, "failed", 0, reply, "failed", "");
  if (!changed.ok() || !changed.value()) return changed.status();
  const std::string status = ReplyStatusCode(reply);
  if (!SuppressingStatus(status)) return Status();
  return lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    return SuppressRecipient(txn.db(), job.id, status, clock_->NowMs(),
                             policy_.suppress_ms)
        .status();
  });
}

}  // namespace reg
