// SqliteStore::ApplyRetention and the counters table (engine.h,
// storage/totals.h).
#include <string>
#include <vector>

#include "storage/sqlite/engine.h"

namespace reg {
namespace {

// What /internal/metrics counts from the rows of the account's jobs,
// before they are deleted.
Result<JobFigures> FiguresOf(Database& db, std::int64_t user_id) {
  JobFigures figures;
  {
    // An unverified account has mail only (events follow a verification);
    // its jobs are registrations' and resends'.
    Stmt jobs(db, "retire jobs",
              "SELECT coalesce(sum(cause = 'register'), 0), "
              "coalesce(sum(cause = 'resend'), 0), "
              "coalesce(sum(state = 'sent'), 0), "
              "coalesce(sum(state = 'failed'), 0) FROM outbox "
              "WHERE user_id = ? AND channel = 'mail'");
    jobs.Int(user_id);
    Result<bool> row = jobs.Step();
    if (!row.ok()) return row.status();
    figures.register_jobs = jobs.ColumnInt(0);
    figures.resend_jobs = jobs.ColumnInt(1);
    figures.sent = jobs.ColumnInt(2);
    figures.failed = jobs.ColumnInt(3);
  }
  {
    Stmt retries(db, "retire retries",
                 "SELECT reason, count(*) FROM outbox_events "
                 "WHERE event = 'retry' AND reason IS NOT NULL AND job_id IN "
                 "(SELECT id FROM outbox WHERE user_id = ?) GROUP BY reason");
    retries.Int(user_id);
    for (;;) {
      Result<bool> row = retries.Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      figures.retries.emplace_back(retries.ColumnText(0), retries.ColumnInt(1));
    }
  }
  Stmt delivery(db, "retire delivery", DeliverySql(true).c_str());
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    delivery.Int(static_cast<std::int64_t>(kDeliveryBuckets[i] * 1000));
  }
  delivery.Int(user_id);
  Result<bool> row = delivery.Step();
  if (!row.ok()) return row.status();
  figures.delivered = delivery.ColumnInt(0);
  figures.delivery_ms_sum = delivery.ColumnInt(1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    figures.delivered_within.push_back(delivery.ColumnInt(2 + i));
  }
  return figures;
}

// The sent time up to which the sent mails' bodies are deleted (0: none).
Result<std::int64_t> BodiesDoneThrough(Database& db) {
  Stmt read(db, "bodies done through",
            "SELECT value FROM counters "
            "WHERE name = 'retention:bodies_done_through_ms'");
  Result<bool> row = read.Step();
  if (!row.ok()) return row.status();
  return row.value() ? read.ColumnInt(0) : 0;
}

}  // namespace

Result<Counters> ReadCounters(Database& db) {
  Stmt read(db, "read counters", "SELECT name, value FROM counters");
  Counters counts;
  for (;;) {
    Result<bool> row = read.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return counts;
    counts[read.ColumnText(0)] = read.ColumnInt(1);
  }
}

Status AddCounter(Database& db, const std::string& name, std::int64_t delta) {
  Stmt bump(db, "add counter",
            "INSERT INTO counters(name, value) VALUES(?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
  bump.Text(name).Int(delta);
  return bump.Run();
}

Result<RetentionResult> SqliteStore::ApplyRetention(
    const RetentionPolicy& policy) {
  RetentionResult result;
  // Relaxed: a deletion a power loss undoes is done again by the next run.
  Status s = lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    result = RetentionResult();

    // Sent mails' bodies, from where the last run stopped (a mail is sent
    // after any earlier cutoff): each run reads only the jobs sent since.
    Result<std::int64_t> from = BodiesDoneThrough(db);
    if (!from.ok()) return from.status();
    const std::int64_t cutoff = now - policy.mail_body_ms;
    Status st;
    if (cutoff > from.value()) {
      Stmt bodies(db, "delete bodies",
                  "DELETE FROM outbox_messages WHERE job_id IN "
                  "(SELECT id FROM outbox WHERE state = 'sent' "
                  " AND sent_ms >= ? AND sent_ms < ?)");
      bodies.Int(from.value()).Int(cutoff);
      st = bodies.Run();
      if (!st.ok()) return st;
      result.mail_bodies = bodies.changes();
      Stmt done(db, "bodies done",
                "INSERT INTO counters(name, value) "
                "VALUES('retention:bodies_done_through_ms', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
      st = done.Int(cutoff).Run();
      if (!st.ok()) return st;
    }

    // Expired receipts: nobody can ask about them any more.
    Stmt receipts(db, "delete receipts",
                  "DELETE FROM receipts WHERE expires_ms <= ?");
    st = receipts.Int(now).Run();
    if (!st.ok()) return st;
    result.receipts = receipts.changes();
    Stmt codes(db, "delete wrong codes",
               "DELETE FROM wrong_codes WHERE at_ms <= ?");
    st = codes.Int(now - policy.wrong_code_ms).Run();
    if (!st.ok()) return st;
    // Expired suppressions; a lifted one once no notification it could
    // have cleared can still suppress.
    Stmt suppressions(db, "delete suppressions",
                      "DELETE FROM suppressions WHERE (lifted_ms IS NULL "
                      "AND until_ms <= ?1) OR lifted_ms <= ?2");
    st = suppressions.Int(now).Int(now - kNotificationMaxAgeMs).Run();
    if (!st.ok()) return st;
    result.suppressions = suppressions.changes();

    std::vector<std::int64_t> ids;
    {
      Stmt find(db, "find unverified",
                "SELECT id FROM users WHERE verified_ms IS NULL "
                "AND created_ms < ?1 "
                "AND NOT EXISTS (SELECT 1 FROM tokens t "
                "  WHERE t.user_id = users.id AND t.expires_ms >= ?1) "
                "AND NOT EXISTS (SELECT 1 FROM outbox o "
                "  WHERE o.user_id = users.id "
                "  AND o.state IN ('queued', 'sending')) "
                "LIMIT ?2");
      find.Int(now - policy.unverified_ms).Int(policy.batch);
      for (;;) {
        Result<bool> row = find.Step();
        if (!row.ok()) return row.status();
        if (!row.value()) break;
        ids.push_back(find.ColumnInt(0));
      }
    }

    Counters retired;
    for (std::int64_t id : ids) {
      Result<JobFigures> figures = FiguresOf(db, id);
      if (!figures.ok()) return figures.status();
      Retire(figures.value(), &retired);
      // Children first (foreign keys are on): receipts naming the jobs
      // (expired by now, unless the clock went back).
      Stmt named(db, "delete named receipts",
                 "DELETE FROM receipts WHERE job_id IN "
                 "(SELECT id FROM outbox WHERE user_id = ?)");
      st = named.Int(id).Run();
      if (!st.ok()) return st;
      result.receipts += named.changes();
      Stmt events(db, "delete events",
                  "DELETE FROM outbox_events WHERE job_id IN "
                  "(SELECT id FROM outbox WHERE user_id = ?)");
      st = events.Int(id).Run();
      if (!st.ok()) return st;
      Stmt messages(db, "delete messages",
                    "DELETE FROM outbox_messages WHERE job_id IN "
                    "(SELECT id FROM outbox WHERE user_id = ?)");
      st = messages.Int(id).Run();
      if (!st.ok()) return st;
      Stmt jobs(db, "delete jobs", "DELETE FROM outbox WHERE user_id = ?");
      st = jobs.Int(id).Run();
      if (!st.ok()) return st;
      Stmt tokens(db, "delete tokens", "DELETE FROM tokens WHERE user_id = ?");
      st = tokens.Int(id).Run();
      if (!st.ok()) return st;
      Stmt account(db, "delete account",
                   "DELETE FROM users WHERE id = ? AND verified_ms IS NULL");
      st = account.Int(id).Run();
      if (!st.ok()) return st;
      result.accounts += account.changes();
    }

    CountRetention(result, &retired);
    for (const auto& [name, value] : retired) {
      if (value == 0) continue;
      st = AddCounter(db, name, value);
      if (!st.ok()) return st;
    }
    return Status();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace reg
