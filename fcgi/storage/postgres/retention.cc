// PgStore::ApplyRetention (engine.h, retention.h): the same deletions as
// SQLite's, in one transaction, with the deleted jobs' figures added to the
// "retired:" counters so that no total goes down.
#include <string>
#include <vector>

#include "storage/postgres/engine.h"

namespace reg {
namespace {

// What /internal/metrics counts from the rows of the account's jobs,
// before they are deleted.
Result<JobFigures> FiguresOf(PgConnection& conn, std::int64_t user_id) {
  // An unverified account has mail only (events follow a verification);
  // its jobs are registrations' and resends'.
  Result<PgRows> jobs = conn.Query(
      "SELECT count(*) FILTER (WHERE cause = 'register'), "
      "count(*) FILTER (WHERE cause = 'resend'), "
      "count(*) FILTER (WHERE state = 'sent'), "
      "count(*) FILTER (WHERE state = 'failed') FROM outbox "
      "WHERE user_id = $1 AND channel = 'mail'",
      {user_id});
  if (!jobs.ok()) return jobs.status();
  JobFigures figures;
  figures.register_jobs = jobs.value().Int(0, 0);
  figures.resend_jobs = jobs.value().Int(0, 1);
  figures.sent = jobs.value().Int(0, 2);
  figures.failed = jobs.value().Int(0, 3);
  Result<PgRows> retries = conn.Query(
      "SELECT reason, count(*) FROM outbox_events "
      "WHERE event = 'retry' AND reason IS NOT NULL AND job_id IN "
      "(SELECT id FROM outbox WHERE user_id = $1) GROUP BY reason",
      {user_id});
  if (!retries.ok()) return retries.status();
  for (int i = 0; i < retries.value().size(); i++) {
    figures.retries.emplace_back(retries.value().Text(i, 0),
                                 retries.value().Int(i, 1));
  }
  std::vector<PgParam> params = PgDeliveryBounds();
  params.emplace_back(user_id);
  Result<PgRows> delivery = conn.Query(PgDeliverySql(true).c_str(), params);
  if (!delivery.ok()) return delivery.status();
  figures.delivered = delivery.value().Int(0, 0);
  figures.delivery_ms_sum = delivery.value().Int(0, 1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    figures.delivered_within.push_back(delivery.value().Int(0, 2 + i));
  }
  return figures;
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
    Result<JobFigures> figures = FiguresOf(*conn_, id);
    if (!figures.ok()) return figures.status();
    Retire(figures.value(), &retired);
    // Children first (foreign keys): receipts naming the jobs (expired by
    // now, unless the clock went back).
    Result<PgRows> named = conn_->Query(
        "DELETE FROM receipts WHERE job_id IN "
        "(SELECT id FROM outbox WHERE user_id = $1)",
        {id});
    if (!named.ok()) return named.status();
    result.receipts += named.value().affected();
    for (const char* sql : {"DELETE FROM outbox_events WHERE job_id IN "
                            "(SELECT id FROM outbox WHERE user_id = $1)",
                            "DELETE FROM outbox_messages WHERE job_id IN "
                            "(SELECT id FROM outbox WHERE user_id = $1)",
                            "DELETE FROM outbox WHERE user_id = $1",
                            "DELETE FROM tokens WHERE user_id = $1"}) {
      Result<PgRows> deleted = conn_->Query(sql, {id});
      if (!deleted.ok()) return deleted.status();
    }
    Result<PgRows> account = conn_->Query(
        "DELETE FROM users WHERE id = $1 AND verified_ms IS NULL", {id});
    if (!account.ok()) return account.status();
    result.accounts += account.value().affected();
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
