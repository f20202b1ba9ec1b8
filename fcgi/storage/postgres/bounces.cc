// PostgreSQL's bounces and suppressions (storage/bounces.h).
#include "storage/postgres/engine.h"

namespace reg {
namespace {

// Suppresses the recipient of mail job "job_id" (in state "state" when it
// is not "") for "suppress_ms" when a failure with "status" does
// (FailureSuppresses), inside the transaction open on "conn". True when
// it did.
Result<bool> PgSuppressRecipient(PgConnection& conn, std::int64_t job_id,
                                 const std::string& status, std::int64_t now,
                                 std::int64_t suppress_ms,
                                 std::string_view state = "") {
  Result<PgRows> facts = conn.Query(
      "SELECT o.rcpt, o.created_ms, greatest(coalesce(u.verified_ms, 0), "
      "coalesce(s.lifted_ms, 0)) FROM outbox o "
      "JOIN users u ON u.id = o.user_id "
      "LEFT JOIN suppressions s ON s.address = o.rcpt "
      "WHERE o.id = $1 AND o.channel = 'mail' "
      "AND ($2 = '' OR o.state = $2) FOR UPDATE OF o",
      {job_id, state});
  if (!facts.ok()) return facts.status();
  if (facts.value().empty()) return false;
  if (!FailureSuppresses(status, facts.value().Int(0, 1),
                         facts.value().Int(0, 2), now, suppress_ms)) {
    return false;
  }
  Result<PgRows> upsert = conn.Query(
      "INSERT INTO suppressions(address, status, job_id, since_ms, until_ms) "
      "VALUES($1, $2, $3, $4, $5) ON CONFLICT (address) DO UPDATE SET "
      "status = $2, job_id = $3, since_ms = $4, until_ms = $5",
      {facts.value().Text(0, 0), status, job_id, now, now + suppress_ms});
  if (!upsert.ok()) return upsert.status();
  return true;
}

}  // namespace

Result<bool> PgIsSuppressed(PgConnection& conn, const std::string& address,
                            std::int64_t now) {
  Result<PgRows> found = conn.Query(
      "SELECT 1 FROM suppressions WHERE address = $1 AND until_ms > $2",
      {address, now});
  if (!found.ok()) return found.status();
  return !found.value().empty();
}

Result<NotificationResult> PgStore::RecordNotification(
    const Notification& n, std::int64_t suppress_ms) {
  NotificationResult result = NotificationResult::kNoSuchJob;
  Status s = lane_->Run(Durability::kDurable, [&](PgTxn& txn) -> Status {
    PgConnection& conn = txn.conn();
    const std::int64_t now = txn.now_ms();
    result = NotificationResult::kNoSuchJob;
    Result<PgRows> job = conn.Query(
        "SELECT coalesce(dsn_action, '') FROM outbox WHERE id = $1 "
        "AND channel = 'mail' AND lower(rcpt) = lower($2) "
        "AND created_ms / 1000 = $3 FOR UPDATE",
        {n.job_id, n.rcpt, n.created_s});
    if (!job.ok()) return job.status();
    if (job.value().empty()) return Status();
    const bool failed = n.action == "failed";
    const bool first_failure = failed && job.value().Text(0, 0) != "failed";
    // A failure stays: a later "delayed" does not undo it.
    Result<PgRows> record = conn.Query(
        "UPDATE outbox SET dsn_action = $1, dsn_status = $2, dsn_ms = $3 "
        "WHERE id = $4 AND ($1 = 'failed' OR coalesce(dsn_action, '') <> "
        "'failed')",
        {failed ? "failed" : "delayed", n.status, now, n.job_id});
    if (!record.ok()) return record.status();
    if (Status st = PgRecordEvent(conn, n.job_id, now,
                                  failed ? "bounced" : "delayed",
                                  NotificationDetail(n));
        !st.ok()) {
      return st;
    }
    if (first_failure) {
      if (Status st = PgAddCounter(conn, "mail_bounced_total", 1); !st.ok()) {
        return st;
      }
    }
    result = NotificationResult::kRecorded;
    if (!failed) return Status();
    Result<bool> suppressed =
        PgSuppressRecipient(conn, n.job_id, n.status, now, suppress_ms);
    if (!suppressed.ok()) return suppressed.status();
    if (suppressed.value()) result = NotificationResult::kSuppressed;
    return Status();
  });
  if (!s.ok()) return s;
  return result;
}

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
  Status s = Finish(job, Outcome::kFailed, reply, "");
  if (!s.ok()) return s;
  const std::string status = ReplyStatusCode(reply);
  if (!SuppressingStatus(status)) return Status();
  return lane_->Run(Durability::kRelaxed, [&](PgTxn& txn) -> Status {
    return PgSuppressRecipient(txn.conn(), job.id, status, txn.now_ms(),
                               policy_.suppress_ms, "failed")
        .status();
  });
}

}  // namespace reg
