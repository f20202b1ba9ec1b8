// SqliteStore::ApplyRetention and the counters table (engine.h,
// storage/totals.h).
#include <string>
#include <vector>

#include "storage/sqlite/engine.h"

namespace reg {
namespace {

// The jobs one retirement counts and deletes: an account's, or listed
// "no account" mails. Each statement comes in a pair of string literals
// (Stmt caches by address), chosen by Pick; Bind binds the set.
struct RetiredJobs {
  std::int64_t account_id = 0;  // the account's jobs, when not 0
  std::string ids;              // else these, a JSON array: "[3,5]"

  const char* Pick(const char* of_account, const char* listed) const {
    return account_id != 0 ? of_account : listed;
  }
  Stmt& Bind(Stmt& stmt) const {
    return account_id != 0 ? stmt.Int(account_id) : stmt.Text(ids);
  }
};

#define RETIRED_OF_ACCOUNT "(SELECT id FROM outbox WHERE user_id = ?)"
#define RETIRED_LISTED "(SELECT value FROM json_each(?))"

// What /internal/metrics counts from the rows of "jobs", before they are
// deleted.
Result<JobFigures> FiguresOf(Database& db, const RetiredJobs& jobs) {
  JobFigures figures;
  {
    // Mail only (events follow a verification, and a "no account" mail has
    // none): registrations' and resends', as Totals counts them.
#define RETIRED_COUNTS                                                    \
  "SELECT coalesce(sum(cause = 'register'), 0), "                         \
  "coalesce(sum(cause = 'resend' AND kind <> 'no_account'), 0), "         \
  "coalesce(sum(state = 'sent'), 0), coalesce(sum(state = 'failed'), 0) " \
  "FROM outbox WHERE channel = 'mail' AND id IN "
    Stmt counts(db, "retire jobs",
                jobs.Pick(RETIRED_COUNTS RETIRED_OF_ACCOUNT,
                          RETIRED_COUNTS RETIRED_LISTED));
#undef RETIRED_COUNTS
    Result<bool> row = jobs.Bind(counts).Step();
    if (!row.ok()) return row.status();
    figures.register_jobs = counts.ColumnInt(0);
    figures.resend_jobs = counts.ColumnInt(1);
    figures.sent = counts.ColumnInt(2);
    figures.failed = counts.ColumnInt(3);
  }
  {
#define RETIRED_RETRIES                         \
  "SELECT reason, count(*) FROM outbox_events " \
  "WHERE event = 'retry' AND reason IS NOT NULL AND job_id IN "
    Stmt retries(
        db, "retire retries",
        jobs.Pick(RETIRED_RETRIES RETIRED_OF_ACCOUNT " GROUP BY reason",
                  RETIRED_RETRIES RETIRED_LISTED " GROUP BY reason"));
#undef RETIRED_RETRIES
    jobs.Bind(retries);
    for (;;) {
      Result<bool> row = retries.Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      figures.retries.emplace_back(retries.ColumnText(0), retries.ColumnInt(1));
    }
  }
  Stmt delivery(db, "retire delivery",
                DeliverySql(jobs.account_id != 0 ? DeliveryOf::kAccount
                                                 : DeliveryOf::kListed)
                    .c_str());
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    delivery.Int(static_cast<std::int64_t>(kDeliveryBuckets[i] * 1000));
  }
  Result<bool> row = jobs.Bind(delivery).Step();
  if (!row.ok()) return row.status();
  figures.delivered = delivery.ColumnInt(0);
  figures.delivery_ms_sum = delivery.ColumnInt(1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    figures.delivered_within.push_back(delivery.ColumnInt(2 + i));
  }
  return figures;
}

// Deletes "jobs" and what hangs off them, children first (foreign keys
// are on): the receipts naming them (expired by now, unless the clock went
// back; counted in "receipts"), their history and bodies.
Status DeleteJobs(Database& db, const RetiredJobs& jobs,
                  std::int64_t* receipts) {
  Stmt named(
      db, "delete named receipts",
      jobs.Pick("DELETE FROM receipts WHERE job_id IN " RETIRED_OF_ACCOUNT,
                "DELETE FROM receipts WHERE job_id IN " RETIRED_LISTED));
  Status st = jobs.Bind(named).Run();
  if (!st.ok()) return st;
  *receipts += named.changes();
  Stmt events(
      db, "delete events",
      jobs.Pick("DELETE FROM outbox_events WHERE job_id IN " RETIRED_OF_ACCOUNT,
                "DELETE FROM outbox_events WHERE job_id IN " RETIRED_LISTED));
  st = jobs.Bind(events).Run();
  if (!st.ok()) return st;
  Stmt messages(
      db, "delete messages",
      jobs.Pick(
          "DELETE FROM outbox_messages WHERE job_id IN " RETIRED_OF_ACCOUNT,
          "DELETE FROM outbox_messages WHERE job_id IN " RETIRED_LISTED));
  st = jobs.Bind(messages).Run();
  if (!st.ok()) return st;
  Stmt rows(db, "delete jobs",
            jobs.Pick("DELETE FROM outbox WHERE user_id = ?",
                      "DELETE FROM outbox WHERE id IN " RETIRED_LISTED));
  return jobs.Bind(rows).Run();
}

#undef RETIRED_OF_ACCOUNT
#undef RETIRED_LISTED

// The "no account" mails past keeping (NoAccountMailsBefore), at most
// "batch", as a JSON array of their ids ("[]" for none).
Result<std::string> PastNoAccountMails(Database& db, std::int64_t before_ms,
                                       std::int64_t now_ms, int batch,
                                       std::int64_t* count) {
  // user_id IS NULL only for them: the index outbox_user finds them.
  Stmt find(db, "find no-account mails",
            "SELECT id FROM outbox WHERE user_id IS NULL "
            "AND kind = 'no_account' AND created_ms < ?1 "
            "AND state IN ('sent', 'failed') "
            "AND NOT EXISTS (SELECT 1 FROM receipts r "
            "  WHERE r.job_id = outbox.id AND r.expires_ms > ?2) "
            "ORDER BY id LIMIT ?3");
  find.Int(before_ms).Int(now_ms).Int(batch);
  std::string ids = "[";
  *count = 0;
  for (;;) {
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    if (*count > 0) ids += ",";
    ids += std::to_string(find.ColumnInt(0));
    ++*count;
  }
  return ids + "]";
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
      const RetiredJobs jobs{id, ""};
      Result<JobFigures> figures = FiguresOf(db, jobs);
      if (!figures.ok()) return figures.status();
      Retire(figures.value(), &retired);
      st = DeleteJobs(db, jobs, &result.receipts);
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

    // "No account" mails, which no account's deletion takes.
    std::int64_t count = 0;
    Result<std::string> listed = PastNoAccountMails(
        db, NoAccountMailsBefore(policy, now), now, policy.batch, &count);
    if (!listed.ok()) return listed.status();
    if (count > 0) {
      const RetiredJobs jobs{0, listed.value()};
      Result<JobFigures> figures = FiguresOf(db, jobs);
      if (!figures.ok()) return figures.status();
      Retire(figures.value(), &retired);
      st = DeleteJobs(db, jobs, &result.receipts);
      if (!st.ok()) return st;
      result.no_account_mails = count;
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
