// PgStore::ApplyRetention (engine.h, retention.h): the same deletions as
// SQLite's, in one transaction, with the deleted jobs' figures added to the
// "retired:" counters so that no total goes down.
#include <string>
#include <vector>

#include "storage/postgres/engine.h"

namespace reg {
namespace {

// The jobs one retirement counts and deletes: an account's, or listed
// "no account" mails. Each statement comes in a pair of string literals
// (PgConnection prepares by address), chosen by Pick; Param is the set's.
struct PgRetiredJobs {
  std::int64_t account_id = 0;  // the account's jobs, when not 0
  std::string ids;              // else these, an array: "{3,5}"

  const char* Pick(const char* of_account, const char* listed) const {
    return account_id != 0 ? of_account : listed;
  }
  PgParam Param() const {
    return account_id != 0 ? PgParam(account_id) : PgParam(ids);
  }
};

#define PG_RETIRED_OF_ACCOUNT " IN (SELECT id FROM outbox WHERE user_id = $1)"
#define PG_RETIRED_LISTED " = ANY($1::bigint[])"

// What /internal/metrics counts from the rows of "jobs", before they are
// deleted.
Result<JobFigures> FiguresOf(PgConnection& conn, const PgRetiredJobs& jobs) {
  // Mail only (events follow a verification, and a "no account" mail has
  // none): registrations' and resends', as Totals counts them.
#define PG_RETIRED_COUNTS                                               \
  "SELECT count(*) FILTER (WHERE cause = 'register'), "                 \
  "count(*) FILTER (WHERE cause = 'resend' AND kind <> 'no_account'), " \
  "count(*) FILTER (WHERE state = 'sent'), "                            \
  "count(*) FILTER (WHERE state = 'failed') FROM outbox "               \
  "WHERE channel = 'mail' AND id"
  Result<PgRows> counts =
      conn.Query(jobs.Pick(PG_RETIRED_COUNTS PG_RETIRED_OF_ACCOUNT,
                           PG_RETIRED_COUNTS PG_RETIRED_LISTED),
                 {jobs.Param()});
#undef PG_RETIRED_COUNTS
  if (!counts.ok()) return counts.status();
  JobFigures figures;
  figures.register_jobs = counts.value().Int(0, 0);
  figures.resend_jobs = counts.value().Int(0, 1);
  figures.sent = counts.value().Int(0, 2);
  figures.failed = counts.value().Int(0, 3);
#define PG_RETIRED_RETRIES                      \
  "SELECT reason, count(*) FROM outbox_events " \
  "WHERE event = 'retry' AND reason IS NOT NULL AND job_id"
  Result<PgRows> retries = conn.Query(
      jobs.Pick(PG_RETIRED_RETRIES PG_RETIRED_OF_ACCOUNT " GROUP BY reason",
                PG_RETIRED_RETRIES PG_RETIRED_LISTED " GROUP BY reason"),
      {jobs.Param()});
#undef PG_RETIRED_RETRIES
  if (!retries.ok()) return retries.status();
  for (int i = 0; i < retries.value().size(); i++) {
    figures.retries.emplace_back(retries.value().Text(i, 0),
                                 retries.value().Int(i, 1));
  }
  std::vector<PgParam> params = PgDeliveryBounds();
  params.push_back(jobs.Param());
  Result<PgRows> delivery =
      conn.Query(PgDeliverySql(jobs.account_id != 0 ? PgDeliveryOf::kAccount
                                                    : PgDeliveryOf::kListed)
                     .c_str(),
                 params);
  if (!delivery.ok()) return delivery.status();
  figures.delivered = delivery.value().Int(0, 0);
  figures.delivery_ms_sum = delivery.value().Int(0, 1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    figures.delivered_within.push_back(delivery.value().Int(0, 2 + i));
  }
  return figures;
}

// Deletes "jobs" and what hangs off them, children first (foreign keys):
// the receipts naming them (expired by now, unless the clock went back;
// counted in "receipts"), their history and bodies.
Status PgDeleteJobs(PgConnection& conn, const PgRetiredJobs& jobs,
                    std::int64_t* receipts) {
  Result<PgRows> named = conn.Query(
      jobs.Pick("DELETE FROM receipts WHERE job_id" PG_RETIRED_OF_ACCOUNT,
                "DELETE FROM receipts WHERE job_id" PG_RETIRED_LISTED),
      {jobs.Param()});
  if (!named.ok()) return named.status();
  *receipts += named.value().affected();
  for (const char* sql :
       {jobs.Pick(
            "DELETE FROM outbox_events WHERE job_id" PG_RETIRED_OF_ACCOUNT,
            "DELETE FROM outbox_events WHERE job_id" PG_RETIRED_LISTED),
        jobs.Pick(
            "DELETE FROM outbox_messages WHERE job_id" PG_RETIRED_OF_ACCOUNT,
            "DELETE FROM outbox_messages WHERE job_id" PG_RETIRED_LISTED),
        jobs.Pick("DELETE FROM outbox WHERE user_id = $1",
                  "DELETE FROM outbox WHERE id" PG_RETIRED_LISTED)}) {
    Result<PgRows> deleted = conn.Query(sql, {jobs.Param()});
    if (!deleted.ok()) return deleted.status();
  }
  return Status();
}

#undef PG_RETIRED_OF_ACCOUNT
#undef PG_RETIRED_LISTED

// The "no account" mails past keeping (NoAccountMailsBefore), at most
// "batch", held for this transaction, as an array of their ids ("{}" for
// none).
Result<std::string> PgPastNoAccountMails(PgConnection& conn,
                                         std::int64_t before_ms,
                                         std::int64_t now_ms, int batch,
                                         std::int64_t* count) {
  // user_id IS NULL only for them: the index outbox_user finds them.
  Result<PgRows> found = conn.Query(
      "SELECT id FROM outbox WHERE user_id IS NULL "
      "AND kind = 'no_account' AND created_ms < $1 "
      "AND state IN ('sent', 'failed') "
      "AND NOT EXISTS (SELECT 1 FROM receipts r "
      "  WHERE r.job_id = outbox.id AND r.expires_ms > $2) "
      "ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED",
      {before_ms, now_ms, batch});
  if (!found.ok()) return found.status();
  std::string ids = "{";
  for (int i = 0; i < found.value().size(); i++) {
    if (i > 0) ids += ",";
    ids += std::to_string(found.value().Int(i, 0));
  }
  *count = found.value().size();
  return ids + "}";
}

}  // namespace

Result<RetentionResult> PgStore::ApplyRetention(const RetentionPolicy& policy) {
  PgTransaction tx(conn_.get());
  if (!tx.status().ok()) return tx.status();
  // A deletion a crash of the database undoes is done again by the next run.
  if (Status s = conn_->Exec("SET LOCAL synchronous_commit = off"); !s.ok()) {
    return s;
  }
  // Hosts sweeping at once take turns: each run reads where the last one
  // stopped, and the retired figures are added once.
  Result<PgRows> locked = conn_->Query(
      "SELECT pg_advisory_xact_lock(1919251553, 26990)");  // "reta" "in"
  if (!locked.ok()) return locked.status();
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  RetentionResult result;

  // Sent mails' bodies, from where the last run stopped (a mail is sent
  // after any earlier cutoff): each run reads only the jobs sent since.
  Result<Counters> counters = PgCounters(*conn_);
  if (!counters.ok()) return counters.status();
  const std::int64_t from =
      CounterValue(counters.value(), "retention:bodies_done_through_ms");
  const std::int64_t cutoff = now.value() - policy.mail_body_ms;
  if (cutoff > from) {
    Result<PgRows> bodies = conn_->Query(
        "DELETE FROM outbox_messages WHERE job_id IN "
        "(SELECT id FROM outbox WHERE state = 'sent' "
        " AND sent_ms >= $1 AND sent_ms < $2)",
        {from, cutoff});
    if (!bodies.ok()) return bodies.status();
    result.mail_bodies = bodies.value().affected();
    Result<PgRows> done = conn_->Query(
        "INSERT INTO counters(name, value) "
        "VALUES('retention:bodies_done_through_ms', $1) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        {cutoff});
    if (!done.ok()) return done.status();
  }

  // Expired receipts: nobody can ask about them any more.
  Result<PgRows> receipts = conn_->Query(
      "DELETE FROM receipts WHERE expires_ms <= $1", {now.value()});
  if (!receipts.ok()) return receipts.status();
  result.receipts = receipts.value().affected();
  Result<PgRows> codes =
      conn_->Query("DELETE FROM wrong_codes WHERE at_ms <= $1",
                   {now.value() - policy.wrong_code_ms});
  if (!codes.ok()) return codes.status();
  // Expired suppressions; a lifted one once no notification it could have
  // cleared can still suppress.
  Result<PgRows> suppressions = conn_->Query(
      "DELETE FROM suppressions WHERE (lifted_ms IS NULL AND until_ms <= $1) "
      "OR lifted_ms <= $2",
      {now.value(), now.value() - kNotificationMaxAgeMs});
  if (!suppressions.ok()) return suppressions.status();
  result.suppressions = suppressions.value().affected();

  Result<PgRows> found = conn_->Query(
      "SELECT id FROM users WHERE verified_ms IS NULL AND created_ms < $1 "
      "AND NOT EXISTS (SELECT 1 FROM tokens t "
      "  WHERE t.user_id = users.id AND t.expires_ms >= $1) "
      "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.user_id = users.id "
      "  AND o.state IN ('queued', 'sending')) "
      "LIMIT $2 FOR UPDATE SKIP LOCKED",
      {now.value() - policy.unverified_ms, policy.batch});
  if (!found.ok()) return found.status();
  Counters retired;
  for (int i = 0; i < found.value().size(); i++) {
    const std::int64_t id = found.value().Int(i, 0);
    const PgRetiredJobs jobs{id, ""};
    Result<JobFigures> figures = FiguresOf(*conn_, jobs);
    if (!figures.ok()) return figures.status();
    Retire(figures.value(), &retired);
    if (Status s = PgDeleteJobs(*conn_, jobs, &result.receipts); !s.ok()) {
      return s;
    }
    Result<PgRows> tokens =
        conn_->Query("DELETE FROM tokens WHERE user_id = $1", {id});
    if (!tokens.ok()) return tokens.status();
    Result<PgRows> account = conn_->Query(
        "DELETE FROM users WHERE id = $1 AND verified_ms IS NULL", {id});
    if (!account.ok()) return account.status();
    result.accounts += account.value().affected();
  }

  // "No account" mails, which no account's deletion takes.
  std::int64_t count = 0;
  Result<std::string> listed =
      PgPastNoAccountMails(*conn_, NoAccountMailsBefore(policy, now.value()),
                           now.value(), policy.batch, &count);
  if (!listed.ok()) return listed.status();
  if (count > 0) {
    const PgRetiredJobs jobs{0, listed.value()};
    Result<JobFigures> figures = FiguresOf(*conn_, jobs);
    if (!figures.ok()) return figures.status();
    Retire(figures.value(), &retired);
    if (Status s = PgDeleteJobs(*conn_, jobs, &result.receipts); !s.ok()) {
      return s;
    }
    result.no_account_mails = count;
  }

  CountRetention(result, &retired);
  for (const auto& [name, value] : retired) {
    if (value == 0) continue;
    Status s = PgAddCounter(*conn_, name, value);
    if (!s.ok()) return s;
  }
  Status s = tx.Commit();
  if (!s.ok()) return s;
  return result;
}

}  // namespace reg
