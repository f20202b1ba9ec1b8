#include "storage/outbox.h"

#include <algorithm>
#include <cstdio>

#include "storage/store.h"

namespace reg {

const double kDeliveryBuckets[] = {0.05, 0.1, 0.25, 0.5, 1,    2.5, 5,
                                   10,   30,  60,   300, 1800, 3600};
const int kDeliveryBucketCount =
    sizeof(kDeliveryBuckets) / sizeof(kDeliveryBuckets[0]);

namespace {

constexpr const char* kStateNames[] = {"queued", "sending", "sent", "failed"};

std::string BucketName(double le) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "mail_delivery_seconds_bucket{le=\"%g\"}", le);
  return buf;
}

}  // namespace

const char* JobStateName(JobState state) {
  return kStateNames[static_cast<int>(state)];
}

Status Outbox::Event(std::int64_t id, std::int64_t now, const char* event,
                     std::string_view detail) {
  Status s;
  sqlite3_stmt* stmt = db_->Prepare(
      "INSERT INTO outbox_events(job_id, at_ms, event, detail) "
      "VALUES(?, ?, ?, ?)",
      &s);
  if (stmt == nullptr) return s;
  Binder b(stmt);
  b.Int(id).Int(now).Text(event);
  if (detail.empty()) {
    b.Null();
  } else {
    b.Text(detail);
  }
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "insert event");
  return Status();
}

Result<JobState> Outbox::State(std::int64_t id) {
  Status s;
  sqlite3_stmt* find =
      db_->Prepare("SELECT state FROM outbox WHERE id = ?", &s);
  if (find == nullptr) return s;
  Binder(find).Int(id);
  int rc = sqlite3_step(find);
  if (rc == SQLITE_DONE) return Status::NotFound("no such job");
  if (rc != SQLITE_ROW) return SqliteError(db_->raw(), rc, "find job");
  std::string state = ColumnText(find, 0);
  sqlite3_reset(find);
  for (int i = 0; i < 4; i++) {
    if (state == kStateNames[i]) return static_cast<JobState>(i);
  }
  return Status::Internal("job " + std::to_string(id) + ": state " + state);
}

Result<std::vector<ClaimRef>> Outbox::Renew(
    const std::vector<ClaimRef>& claims) {
  std::vector<ClaimRef> lost;
  if (claims.empty()) return lost;
  const std::int64_t until = clock_->NowMs() + policy_.lease_ms;
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Status s;
  sqlite3_stmt* renew = db_->Prepare(
      "UPDATE outbox SET lease_until_ms = ? "
      "WHERE id = ? AND state = 'sending' AND attempts = ?",
      &s);
  if (renew == nullptr) return s;
  for (const ClaimRef& claim : claims) {
    sqlite3_reset(renew);
    Binder(renew).Int(until).Int(claim.id).Int(claim.attempts);
    int rc = sqlite3_step(renew);
    if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "renew lease");
    if (sqlite3_changes(db_->raw()) == 0) lost.push_back(claim);
  }
  s = txn.Commit();
  if (!s.ok()) return s;
  return lost;
}

Result<ClaimOutcome> Outbox::Claim(std::int64_t id) {
  const std::int64_t now = clock_->NowMs();
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Status s;
  sqlite3_stmt* claim = db_->Prepare(
      "UPDATE outbox SET state = 'sending', lease_until_ms = ?, "
      "attempts = attempts + 1, claimed_by = ? "
      "WHERE id = ? AND (state = 'queued' OR "
      "(state = 'sending' AND lease_until_ms <= ?)) "
      "RETURNING rcpt, message, attempts, created_ms",
      &s);
  if (claim == nullptr) return s;
  Binder(claim)
      .Int(now + policy_.lease_ms)
      .Text(policy_.claimant)
      .Int(id)
      .Int(now);
  int rc = sqlite3_step(claim);
  ClaimOutcome outcome;
  if (rc == SQLITE_ROW) {
    ClaimedJob job;
    job.id = id;
    job.rcpt = ColumnText(claim, 0);
    job.sealed = ColumnText(claim, 1);
    job.attempts = static_cast<int>(ColumnInt(claim, 2));
    job.created_ms = ColumnInt(claim, 3);
    job.lease_until_ms = now + policy_.lease_ms;
    sqlite3_reset(claim);
    s = Event(id, now, "claimed", "post");
    if (!s.ok()) return s;
    s = txn.Commit();
    if (!s.ok()) return s;
    outcome.state = JobState::kQueued;
    outcome.job = std::move(job);
    return outcome;
  }
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "claim job");
  sqlite3_reset(claim);
  Result<JobState> state = State(id);
  if (!state.ok()) return state.status();
  outcome.state = state.value();
  return outcome;  // nothing written; the guard rolls back
}

Result<std::vector<ClaimedJob>> Outbox::ClaimDue(int limit) {
  const std::int64_t now = clock_->NowMs();
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Status s;
  sqlite3_stmt* claim = db_->Prepare(
      "UPDATE outbox SET state = 'sending', lease_until_ms = ?1, "
      "attempts = attempts + 1, claimed_by = ?4 WHERE id IN ("
      "  SELECT id FROM outbox"
      "  WHERE (state = 'queued' AND next_attempt_ms <= ?2)"
      "     OR (state = 'sending' AND lease_until_ms <= ?2)"
      "  ORDER BY next_attempt_ms LIMIT ?3) "
      "RETURNING id, rcpt, message, attempts, created_ms",
      &s);
  if (claim == nullptr) return s;
  Binder(claim)
      .Int(now + policy_.lease_ms)
      .Int(now)
      .Int(limit)
      .Text(policy_.claimant);
  std::vector<ClaimedJob> jobs;
  int rc;
  while ((rc = sqlite3_step(claim)) == SQLITE_ROW) {
    ClaimedJob job;
    job.id = ColumnInt(claim, 0);
    job.rcpt = ColumnText(claim, 1);
    job.sealed = ColumnText(claim, 2);
    job.attempts = static_cast<int>(ColumnInt(claim, 3));
    job.created_ms = ColumnInt(claim, 4);
    job.lease_until_ms = now + policy_.lease_ms;
    jobs.push_back(std::move(job));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "claim due jobs");
  for (const ClaimedJob& job : jobs) {
    s = Event(job.id, now, "claimed", "sweep");
    if (!s.ok()) return s;
  }
  s = txn.Commit();
  if (!s.ok()) return s;
  // Longest waiting first within the batch.
  std::sort(
      jobs.begin(), jobs.end(),
      [](const ClaimedJob& a, const ClaimedJob& b) { return a.id < b.id; });
  return jobs;
}

std::int64_t Outbox::RetryDelayMs(int attempts) const {
  std::int64_t delay = policy_.retry_ms;
  for (int i = 1; i < attempts && delay < policy_.max_retry_ms; i++) delay *= 2;
  return std::min(delay, policy_.max_retry_ms);
}

Result<bool> Outbox::Transition(const ClaimedJob& job, const char* state,
                                std::int64_t next_attempt_ms,
                                std::string_view reply, bool sent) {
  const std::int64_t now = clock_->NowMs();
  Status s;
  sqlite3_stmt* stmt = db_->Prepare(
      "UPDATE outbox SET state = ?, next_attempt_ms = ?, last_reply = ?, "
      "lease_until_ms = NULL, sent_ms = CASE WHEN ? THEN ? ELSE sent_ms END "
      "WHERE id = ? AND state = 'sending' AND attempts = ?",
      &s);
  if (stmt == nullptr) return s;
  Binder(stmt)
      .Text(state)
      .Int(next_attempt_ms)
      .Text(reply)
      .Int(sent ? 1 : 0)
      .Int(now)
      .Int(job.id)
      .Int(job.attempts);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "update job");
  return sqlite3_changes(db_->raw()) > 0;
}

Status Outbox::MarkSent(const ClaimedJob& job, std::string_view reply) {
  const std::int64_t now = clock_->NowMs();
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Result<bool> changed = Transition(job, "sent", now, reply, true);
  if (!changed.ok()) return changed.status();
  if (!changed.value()) return Status();  // claim lost; the new owner records
  Status s = Event(job.id, now, "sent", reply);
  if (!s.ok()) return s;
  if (!(s = BumpCounter(db_, "mail_sent_total", 1)).ok()) return s;
  const std::int64_t latency_ms =
      std::max<std::int64_t>(0, now - job.created_ms);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    if (latency_ms <= static_cast<std::int64_t>(kDeliveryBuckets[i] * 1000)) {
      s = BumpCounter(db_, BucketName(kDeliveryBuckets[i]), 1);
      if (!s.ok()) return s;
    }
  }
  if (!(s = BumpCounter(db_, "mail_delivery_seconds_count", 1)).ok()) return s;
  if (!(s = BumpCounter(db_, "mail_delivery_ms_sum", latency_ms)).ok())
    return s;
  return txn.Commit();
}

Status Outbox::MarkRetry(const ClaimedJob& job, std::string_view reply,
                         std::string_view reason) {
  const std::int64_t now = clock_->NowMs();
  const std::int64_t give_up_ms = job.created_ms + policy_.retry_for_ms;
  if (now >= give_up_ms) return MarkFailed(job, reply);
  // The last attempt falls on the give-up time, not past it.
  const std::int64_t next =
      std::min(now + RetryDelayMs(job.attempts), give_up_ms);
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Result<bool> changed = Transition(job, "queued", next, reply, false);
  if (!changed.ok()) return changed.status();
  if (!changed.value()) return Status();
  Status s = Event(job.id, now, "retry", reply);
  if (!s.ok()) return s;
  s = BumpCounter(
      db_, "mail_retries_total{reason=\"" + std::string(reason) + "\"}", 1);
  if (!s.ok()) return s;
  return txn.Commit();
}

Status Outbox::MarkFailed(const ClaimedJob& job, std::string_view reply) {
  const std::int64_t now = clock_->NowMs();
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Result<bool> changed = Transition(job, "failed", now, reply, false);
  if (!changed.ok()) return changed.status();
  if (!changed.value()) return Status();
  Status s = Event(job.id, now, "failed", reply);
  if (!s.ok()) return s;
  if (!(s = BumpCounter(db_, "mail_failed_total", 1)).ok()) return s;
  return txn.Commit();
}

Result<OutboxStats> Outbox::Stats() {
  OutboxStats stats;
  Status s;
  sqlite3_stmt* states =
      db_->Prepare("SELECT state, count(*) FROM outbox GROUP BY state", &s);
  if (states == nullptr) return s;
  int rc;
  while ((rc = sqlite3_step(states)) == SQLITE_ROW) {
    std::string name = ColumnText(states, 0);
    for (int i = 0; i < 4; i++) {
      if (name == kStateNames[i]) stats.by_state[i] = ColumnInt(states, 1);
    }
  }
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "count jobs");
  sqlite3_stmt* oldest = db_->Prepare(
      "SELECT min(created_ms) FROM outbox WHERE state IN ('queued', 'sending')",
      &s);
  if (oldest == nullptr) return s;
  rc = sqlite3_step(oldest);
  if (rc != SQLITE_ROW) return SqliteError(db_->raw(), rc, "oldest job");
  stats.oldest_queued_ms = ColumnIsNull(oldest, 0) ? 0 : ColumnInt(oldest, 0);
  sqlite3_reset(oldest);
  sqlite3_stmt* counters =
      db_->Prepare("SELECT name, value FROM counters ORDER BY name", &s);
  if (counters == nullptr) return s;
  while ((rc = sqlite3_step(counters)) == SQLITE_ROW) {
    stats.counters.emplace_back(ColumnText(counters, 0),
                                ColumnInt(counters, 1));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "read counters");
  return stats;
}

}  // namespace reg
