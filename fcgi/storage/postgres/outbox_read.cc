// PgOutbox: what /internal/metrics and regctl read, and regctl's requeue
// (engine.h).
#include <array>
#include <string>

#include "storage/postgres/engine.h"

namespace reg {

const std::string& PgDeliverySql(PgDeliveryOf of) {
  static const std::array<std::string, 3> sql = [] {
    std::string q =
        "SELECT count(*), coalesce(sum(greatest(sent_ms - created_ms, 0)), 0)";
    for (int i = 0; i < kDeliveryBucketCount; i++) {
      q += ", count(*) FILTER (WHERE sent_ms - created_ms <= $" +
           std::to_string(i + 1) + "::bigint)";
    }
    q += " FROM outbox WHERE state = 'sent' AND channel = 'mail'";
    const std::string last = "$" + std::to_string(kDeliveryBucketCount + 1);
    return std::array<std::string, 3>{
        q, q + " AND user_id = " + last,
        q + " AND id = ANY(" + last + "::bigint[])"};
  }();
  return sql[static_cast<int>(of)];
}

std::vector<PgParam> PgDeliveryBounds() {
  std::vector<PgParam> bounds;
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    bounds.emplace_back(static_cast<std::int64_t>(kDeliveryBuckets[i] * 1000));
  }
  return bounds;
}

namespace {

JobRow RowFrom(const PgRows& rows, int row) {
  JobRow job;
  job.id = rows.Int(row, 0);
  job.channel = rows.Text(row, 9);
  job.kind = rows.Text(row, 1);
  job.rcpt = rows.Text(row, 2);
  job.state = rows.Text(row, 3);
  job.attempts = static_cast<int>(rows.Int(row, 4));
  job.created_ms = rows.Int(row, 5);
  job.next_attempt_ms = rows.Int(row, 6);
  job.last_reply = rows.Text(row, 7);
  job.claimed_by = rows.Text(row, 8);
  return job;
}

#define JOB_COLUMNS                                                \
  "id, kind, rcpt, state, attempts, created_ms, next_attempt_ms, " \
  "coalesce(last_reply, ''), coalesce(claimed_by, ''), channel"

}  // namespace

Result<JobState> PgOutbox::State(std::int64_t id) {
  return PgJobState(*conn_, id);
}

Result<OutboxStats> PgOutbox::Stats() {
  OutboxStats stats;
  Result<PgRows> states = conn_->Query(
      "SELECT channel, state, count(*) FROM outbox GROUP BY channel, state");
  if (!states.ok()) return states.status();
  for (int i = 0; i < states.value().size(); i++) {
    Result<JobState> state = JobStateFromName(states.value().Text(i, 1));
    if (!state.ok()) continue;
    std::int64_t* by_state = states.value().Text(i, 0) == "webhook"
                                 ? stats.events_by_state
                                 : stats.by_state;
    by_state[static_cast<int>(state.value())] = states.value().Int(i, 2);
  }
  Result<PgRows> oldest = conn_->Query(
      "SELECT coalesce(min(created_ms), 0) FROM outbox "
      "WHERE state IN ('queued', 'sending') AND channel = 'mail'");
  if (!oldest.ok()) return oldest.status();
  stats.oldest_waiting_ms = oldest.value().Int(0, 0);
  Result<PgRows> retries = conn_->Query(
      "SELECT e.reason, count(*) FROM outbox_events e "
      "JOIN outbox o ON o.id = e.job_id "
      "WHERE e.event = 'retry' AND e.reason IS NOT NULL "
      "AND o.channel = 'mail' GROUP BY e.reason ORDER BY e.reason");
  if (!retries.ok()) return retries.status();
  for (int i = 0; i < retries.value().size(); i++) {
    stats.retries.emplace_back(retries.value().Text(i, 0),
                               retries.value().Int(i, 1));
  }
  Result<PgRows> delivery = conn_->Query(
      PgDeliverySql(PgDeliveryOf::kAll).c_str(), PgDeliveryBounds());
  if (!delivery.ok()) return delivery.status();
  stats.delivered = delivery.value().Int(0, 0);
  stats.delivery_ms_sum = delivery.value().Int(0, 1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    stats.delivered_within.push_back(delivery.value().Int(0, 2 + i));
  }
  // What retention deleted stays counted (storage/totals.h).
  Result<Counters> counters = PgCounters(*conn_);
  if (!counters.ok()) return counters.status();
  AddRetired(counters.value(), &stats);
  return stats;
}

Result<std::vector<JobRow>> PgOutbox::ListJobs(const std::string& state,
                                               int limit) {
  Result<PgRows> rows =
      conn_->Query("SELECT " JOB_COLUMNS
                   " FROM outbox WHERE $1::text = '' OR state = $1::text "
                   "ORDER BY id DESC LIMIT $2",
                   {state, limit});
  if (!rows.ok()) return rows.status();
  std::vector<JobRow> jobs;
  for (int i = 0; i < rows.value().size(); i++) {
    jobs.push_back(RowFrom(rows.value(), i));
  }
  return jobs;
}

Result<JobRow> PgOutbox::GetJob(std::int64_t id,
                                std::vector<JobEvent>* events) {
  Result<PgRows> found =
      conn_->Query("SELECT " JOB_COLUMNS " FROM outbox WHERE id = $1", {id});
  if (!found.ok()) return found.status();
  if (found.value().empty()) {
    return Status::NotFound("no job " + std::to_string(id));
  }
  Result<PgRows> history = conn_->Query(
      "SELECT at_ms, event, coalesce(detail, '') FROM outbox_events "
      "WHERE job_id = $1 ORDER BY id",
      {id});
  if (!history.ok()) return history.status();
  for (int i = 0; i < history.value().size(); i++) {
    events->push_back({history.value().Int(i, 0), history.value().Text(i, 1),
                       history.value().Text(i, 2)});
  }
  return RowFrom(found.value(), 0);
}

Status PgOutbox::RequeueJob(std::int64_t id) {
  PgTransaction tx(conn_.get());
  if (!tx.status().ok()) return tx.status();
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  Result<PgRows> requeued = conn_->Query(
      "UPDATE outbox SET state = 'queued', next_attempt_ms = $1, "
      "lease_until_ms = NULL WHERE id = $2 AND state IN ('failed', 'queued')",
      {now.value(), id});
  if (!requeued.ok()) return requeued.status();
  if (requeued.value().affected() == 0) {
    Result<PgRows> found =
        conn_->Query("SELECT state FROM outbox WHERE id = $1", {id});
    if (!found.ok()) return found.status();
    if (found.value().empty()) {
      return Status::NotFound("no job " + std::to_string(id));
    }
    return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                   found.value().Text(0, 0) + ", not failed");
  }
  Status s = PgRecordEvent(*conn_, id, now.value(), "requeued", "regctl");
  if (!s.ok()) return s;
  return tx.Commit();
}

}  // namespace reg

#undef JOB_COLUMNS  // unity builds: the next file may define its own
