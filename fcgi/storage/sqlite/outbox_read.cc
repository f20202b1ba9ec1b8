// SqliteOutbox: what /internal/metrics and regctl read, and regctl's
// requeue (engine.h).
#include <array>
#include <string>

#include "storage/sqlite/engine.h"

namespace reg {

// The histogram in one pass over the partial index outbox_sent (only sent
// jobs, only the two times): count, sum, then one count per bucket bound;
// of every mail job, one account's or listed ones (the last parameter).
const std::string& DeliverySql(DeliveryOf of) {
  static const std::array<std::string, 3> sql = [] {
    std::string q =
        "SELECT count(*), coalesce(sum(max(sent_ms - created_ms, 0)), 0)";
    for (int i = 0; i < kDeliveryBucketCount; i++) {
      q += ", coalesce(sum(sent_ms - created_ms <= ?" + std::to_string(i + 1) +
           "), 0)";
    }
    q += " FROM outbox WHERE state = 'sent' AND channel = 'mail'";
    const std::string last = "?" + std::to_string(kDeliveryBucketCount + 1);
    return std::array<std::string, 3>{
        q, q + " AND user_id = " + last,
        q + " AND id IN (SELECT value FROM json_each(" + last + "))"};
  }();
  return sql[static_cast<int>(of)];
}

namespace {

JobRow RowFrom(const Stmt& stmt) {
  JobRow row;
  row.id = stmt.ColumnInt(0);
  row.channel = stmt.ColumnText(9);
  row.kind = stmt.ColumnText(1);
  row.rcpt = stmt.ColumnText(2);
  row.state = stmt.ColumnText(3);
  row.attempts = static_cast<int>(stmt.ColumnInt(4));
  row.created_ms = stmt.ColumnInt(5);
  row.next_attempt_ms = stmt.ColumnInt(6);
  row.last_reply = stmt.ColumnText(7);
  row.claimed_by = stmt.ColumnText(8);
  return row;
}

#define JOB_COLUMNS                                                            \
  "id, kind, rcpt, state, attempts, created_ms, next_attempt_ms, last_reply, " \
  "claimed_by, channel"

}  // namespace

Result<OutboxStats> SqliteOutbox::Stats() {
  Result<Database*> db = reader_->Get();
  if (!db.ok()) return db.status();
  Database& reader = *db.value();
  OutboxStats stats;
  {
    Stmt states(reader, "count jobs",
                "SELECT channel, state, count(*) FROM outbox "
                "GROUP BY channel, state");
    for (;;) {
      Result<bool> row = states.Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      Result<JobState> state = JobStateFromName(states.ColumnText(1));
      if (!state.ok()) continue;
      std::int64_t* by_state = states.ColumnText(0) == "webhook"
                                   ? stats.events_by_state
                                   : stats.by_state;
      by_state[static_cast<int>(state.value())] = states.ColumnInt(2);
    }
  }
  {
    Stmt oldest(reader, "oldest job",
                "SELECT min(created_ms) FROM outbox "
                "WHERE state IN ('queued', 'sending') AND channel = 'mail'");
    Result<bool> row = oldest.Step();
    if (!row.ok()) return row.status();
    stats.oldest_waiting_ms = oldest.ColumnIsNull(0) ? 0 : oldest.ColumnInt(0);
  }
  {
    Stmt retries(reader, "count retries",
                 "SELECT e.reason, count(*) FROM outbox_events e "
                 "JOIN outbox o ON o.id = e.job_id "
                 "WHERE e.event = 'retry' AND o.channel = 'mail' "
                 "GROUP BY e.reason ORDER BY e.reason");
    for (;;) {
      Result<bool> row = retries.Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      if (retries.ColumnIsNull(0)) continue;  // written before migration 003
      stats.retries.emplace_back(retries.ColumnText(0), retries.ColumnInt(1));
    }
  }
  Stmt delivery(reader, "delivery histogram",
                DeliverySql(DeliveryOf::kAll).c_str());
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    delivery.Int(static_cast<std::int64_t>(kDeliveryBuckets[i] * 1000));
  }
  Result<bool> row = delivery.Step();
  if (!row.ok()) return row.status();
  stats.delivered = delivery.ColumnInt(0);
  stats.delivery_ms_sum = delivery.ColumnInt(1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    stats.delivered_within.push_back(delivery.ColumnInt(2 + i));
  }
  // What retention deleted stays counted (storage/totals.h).
  Result<Counters> counters = ReadCounters(reader);
  if (!counters.ok()) return counters.status();
  AddRetired(counters.value(), &stats);
  return stats;
}

Result<std::vector<JobRow>> SqliteOutbox::ListJobs(const std::string& state,
                                                   int limit) {
  Result<Database*> db = reader_->Get();
  if (!db.ok()) return db.status();
  Database& reader = *db.value();
  Stmt list(reader, "list jobs",
            "SELECT " JOB_COLUMNS
            " FROM outbox WHERE ?1 = '' OR state = ?1 "
            "ORDER BY id DESC LIMIT ?2");
  list.Text(state).Int(limit);
  std::vector<JobRow> rows;
  for (;;) {
    Result<bool> row = list.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return rows;
    rows.push_back(RowFrom(list));
  }
}

Result<JobRow> SqliteOutbox::GetJob(std::int64_t id,
                                    std::vector<JobEvent>* events) {
  Result<Database*> db = reader_->Get();
  if (!db.ok()) return db.status();
  Database& reader = *db.value();
  JobRow job;
  {
    Stmt find(reader, "find job",
              "SELECT " JOB_COLUMNS " FROM outbox WHERE id = ?");
    find.Int(id);
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return Status::NotFound("no job " + std::to_string(id));
    job = RowFrom(find);
  }
  Stmt history(reader, "job events",
               "SELECT at_ms, event, detail FROM outbox_events "
               "WHERE job_id = ? ORDER BY rowid");
  history.Int(id);
  for (;;) {
    Result<bool> row = history.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return job;
    events->push_back(
        {history.ColumnInt(0), history.ColumnText(1), history.ColumnText(2)});
  }
}

Status SqliteOutbox::RequeueJob(std::int64_t id) {
  std::string found;  // the state of a job that could not be requeued
  Status s = lane_->Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    Stmt requeue(db, "requeue job",
                 "UPDATE outbox SET state = 'queued', next_attempt_ms = ?1, "
                 "lease_until_ms = NULL, changed_ms = max(changed_ms, ?1) "
                 "WHERE id = ?2 AND state IN ('failed', 'queued')");
    requeue.Int(now).Int(id);
    Status st = requeue.Run();
    if (!st.ok()) return st;
    if (requeue.changes() > 0) {
      return AppendEvent(db, id, now, "requeued", "regctl");
    }
    Stmt find(db, "find job", "SELECT state FROM outbox WHERE id = ?");
    find.Int(id);
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return Status::NotFound("no job " + std::to_string(id));
    return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                   find.ColumnText(0) + ", not failed");
  });
  return s;
}

}  // namespace reg

#undef JOB_COLUMNS  // unity builds: the next file may define its own
