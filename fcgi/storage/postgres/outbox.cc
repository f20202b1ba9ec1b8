// PgOutbox: the job states, claims across hosts, and what metrics and
// regctl read (engine.h). Claims lock rows with FOR UPDATE SKIP LOCKED, so
// hosts sweeping at once take disjoint jobs, and every lease and due time
// is in the database's clock.
#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>

#include "storage/postgres/engine.h"

namespace reg {
namespace {

#define CLAIMED_COLUMNS                                            \
  "o.id, o.rcpt, m.message, o.attempts, o.created_ms, o.channel, " \
  "o.message_id"

// A claimed job from "RETURNING " CLAIMED_COLUMNS.
ClaimedJob ClaimedFrom(const PgRows& rows, int row) {
  ClaimedJob job;
  job.id = rows.Int(row, 0);
  job.rcpt = rows.Text(row, 1);
  job.sealed = rows.Bytes(row, 2);
  job.attempts = static_cast<int>(rows.Int(row, 3));
  job.created_ms = rows.Int(row, 4);
  job.channel =
      rows.Text(row, 5) == "webhook" ? Channel::kWebhook : Channel::kMail;
  job.message_id = rows.Text(row, 6);
  return job;
}

Status RecordEvent(PgConnection& conn, std::int64_t job_id, std::int64_t at_ms,
                   const char* event, std::string_view detail,
                   std::string_view reason = "") {
  Result<PgRows> r = conn.Query(
      "INSERT INTO outbox_events(job_id, at_ms, event, detail, reason) "
      "VALUES($1, $2, $3, $4, $5)",
      {job_id, at_ms, event, detail.empty() ? PgParam() : PgParam(detail),
       reason.empty() ? PgParam() : PgParam(reason)});
  return r.status();
}

// Claims, renewals and outcomes need not wait for the WAL flush: a power
// loss may undo one, and that mail goes out again (outbox.h).
Status Relaxed(PgConnection& conn) {
  return conn.Exec("SET LOCAL synchronous_commit = off");
}

// "{1,2,3}" for an int array parameter.
template <class F>
std::string ArrayOf(const std::vector<ClaimRef>& claims, F field) {
  std::string out = "{";
  for (const ClaimRef& c : claims) {
    if (out.size() > 1) out += ',';
    out += std::to_string(field(c));
  }
  return out + "}";
}

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

const std::string& PgDeliverySql(bool for_account) {
  static const std::array<std::string, 2> sql = [] {
    std::string q =
        "SELECT count(*), coalesce(sum(greatest(sent_ms - created_ms, 0)), 0)";
    for (int i = 0; i < kDeliveryBucketCount; i++) {
      q += ", count(*) FILTER (WHERE sent_ms - created_ms <= $" +
           std::to_string(i + 1) + "::bigint)";
    }
    q += " FROM outbox WHERE state = 'sent' AND channel = 'mail'";
    return std::array<std::string, 2>{
        q, q + " AND user_id = $" + std::to_string(kDeliveryBucketCount + 1)};
  }();
  return sql[for_account ? 1 : 0];
}

PgOutbox::PgOutbox(std::unique_ptr<PgConnection> conn, const Clock* clock,
                   OutboxPolicy policy)
    : owned_(std::move(conn)),
      conn_(owned_.get()),
      clock_(clock),
      policy_(std::move(policy)) {}

PgOutbox::PgOutbox(PgConnection* conn, const Clock* clock, OutboxPolicy policy)
    : conn_(conn), clock_(clock), policy_(std::move(policy)) {}

Result<std::int64_t> PgOutbox::Enqueue(WriteTxn& txn, const NewJob& job) {
  PgConnection& conn = static_cast<PgTxn&>(txn).conn();
  Result<PgRows> inserted = conn.Query(
      "INSERT INTO outbox(user_id, channel, kind, cause, rcpt, message_id, "
      "created_ms, next_attempt_ms, mailbox) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
      {job.user_id, ChannelName(job.channel), job.kind, job.cause, job.rcpt,
       job.message_id, job.created_ms, job.due_ms,
       job.mailbox.empty() ? PgParam() : PgParam(job.mailbox)});
  if (!inserted.ok()) return inserted.status();
  const std::int64_t id = inserted.value().Int(0, 0);
  Result<PgRows> message =
      conn.Query("INSERT INTO outbox_messages(job_id, message) VALUES($1, $2)",
                 {id, PgParam::Bytes(job.sealed)});
  if (!message.ok()) return message.status();
  Status s = RecordEvent(conn, id, job.created_ms, "queued", "");
  if (!s.ok()) return s;
  return id;
}

Result<JobState> PgOutbox::State(std::int64_t id) {
  Result<PgRows> found =
      conn_->Query("SELECT state FROM outbox WHERE id = $1", {id});
  if (!found.ok()) return found.status();
  if (found.value().empty()) return Status::NotFound("no such job");
  return JobStateFromName(found.value().Text(0, 0));
}

Result<ClaimOutcome> PgOutbox::Claim(std::int64_t id) {
  PgTransaction tx(conn_);
  if (!tx.status().ok()) return tx.status();
  if (Status s = Relaxed(*conn_); !s.ok()) return s;
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  // A racing claim of the same row waits for this one, then finds the
  // row no longer claimable: one claim wins, on any host.
  Result<PgRows> claimed = conn_->Query(
      "UPDATE outbox o SET state = 'sending', lease_until_ms = $1, "
      "attempts = attempts + 1, claimed_by = $2 FROM outbox_messages m "
      "WHERE o.id = $3 AND m.job_id = o.id AND (o.state = 'queued' OR "
      "(o.state = 'sending' AND o.lease_until_ms <= $4)) "
      "RETURNING " CLAIMED_COLUMNS,
      {now.value() + policy_.lease_ms, policy_.claimant, id, now.value()});
  if (!claimed.ok()) return claimed.status();
  ClaimOutcome outcome;
  if (!claimed.value().empty()) {
    outcome.state = JobState::kQueued;
    outcome.job = ClaimedFrom(claimed.value(), 0);
    Status s = RecordEvent(*conn_, id, now.value(), "claimed", "post");
    if (!s.ok()) return s;
  } else {
    Result<JobState> state = State(id);  // in this transaction
    if (!state.ok()) return state.status();
    outcome.state = state.value();
  }
  Status s = tx.Commit();
  if (!s.ok()) return s;
  return outcome;
}

Result<std::vector<ClaimedJob>> PgOutbox::ClaimDue(int limit) {
  PgTransaction tx(conn_);
  if (!tx.status().ok()) return tx.status();
  if (Status s = Relaxed(*conn_); !s.ok()) return s;
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  // SKIP LOCKED: rows another host is claiming right now are left to it.
  Result<PgRows> claimed = conn_->Query(
      "UPDATE outbox o SET state = 'sending', lease_until_ms = $1, "
      "attempts = attempts + 1, claimed_by = $4 FROM outbox_messages m "
      "WHERE m.job_id = o.id AND o.id IN ("
      "  SELECT id FROM outbox"
      "  WHERE (state = 'queued' AND next_attempt_ms <= $2)"
      "     OR (state = 'sending' AND lease_until_ms <= $2)"
      "  ORDER BY next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED) "
      "RETURNING " CLAIMED_COLUMNS,
      {now.value() + policy_.lease_ms, now.value(), limit, policy_.claimant});
  if (!claimed.ok()) return claimed.status();
  std::vector<ClaimedJob> jobs;
  for (int i = 0; i < claimed.value().size(); i++) {
    jobs.push_back(ClaimedFrom(claimed.value(), i));
    Status s =
        RecordEvent(*conn_, jobs.back().id, now.value(), "claimed", "sweep");
    if (!s.ok()) return s;
  }
  Status s = tx.Commit();
  if (!s.ok()) return s;
  std::sort(
      jobs.begin(), jobs.end(),
      [](const ClaimedJob& a, const ClaimedJob& b) { return a.id < b.id; });
  return jobs;
}

Result<std::vector<ClaimRef>> PgOutbox::Renew(
    const std::vector<ClaimRef>& claims) {
  std::vector<ClaimRef> lost;
  if (claims.empty()) return lost;
  PgTransaction tx(conn_);
  if (!tx.status().ok()) return tx.status();
  if (Status s = Relaxed(*conn_); !s.ok()) return s;
  const PgParam test_now =
      clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam();
  Result<PgRows> renewed = conn_->Query(
      "UPDATE outbox o SET lease_until_ms = "
      "  coalesce($3::bigint, reg_now_ms()) + $4 "
      "FROM unnest($1::bigint[], $2::integer[]) AS c(id, attempts) "
      "WHERE o.id = c.id AND o.attempts = c.attempts "
      "AND o.state = 'sending' RETURNING o.id, o.attempts",
      {ArrayOf(claims, [](const ClaimRef& c) { return c.id; }),
       ArrayOf(claims, [](const ClaimRef& c) { return c.attempts; }), test_now,
       policy_.lease_ms});
  if (!renewed.ok()) return renewed.status();
  std::set<ClaimRef> held;
  for (int i = 0; i < renewed.value().size(); i++) {
    held.insert({renewed.value().Int(i, 0),
                 static_cast<int>(renewed.value().Int(i, 1))});
  }
  for (const ClaimRef& c : claims) {
    if (held.count(c) == 0) lost.push_back(c);
  }
  Status s = tx.Commit();
  if (!s.ok()) return s;
  return lost;
}

Status PgOutbox::Finish(const ClaimedJob& job, Outcome outcome,
                        std::string_view reply, std::string_view reason) {
  PgTransaction tx(conn_);
  if (!tx.status().ok()) return tx.status();
  if (Status s = Relaxed(*conn_); !s.ok()) return s;
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  std::int64_t next = now.value();
  if (outcome == Outcome::kRetry) {
    const std::int64_t give_up_ms = job.created_ms + policy_.retry_for_ms;
    // The last attempt falls on the give-up time, not past it.
    next =
        std::min(now.value() + RetryDelayMs(policy_, job.attempts), give_up_ms);
    if (now.value() >= give_up_ms) outcome = Outcome::kFailed;
  }
  const char* state = outcome == Outcome::kSent    ? "sent"
                      : outcome == Outcome::kRetry ? "queued"
                                                   : "failed";
  const char* event = outcome == Outcome::kSent    ? "sent"
                      : outcome == Outcome::kRetry ? "retry"
                                                   : "failed";
  Result<PgRows> updated = conn_->Query(
      "UPDATE outbox SET state = $1, next_attempt_ms = $2, last_reply = $3, "
      "lease_until_ms = NULL, "
      "sent_ms = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_ms END "
      "WHERE id = $5 AND state = 'sending' AND attempts = $6",
      {state, next, reply, now.value(), job.id, job.attempts});
  if (!updated.ok()) return updated.status();
  if (updated.value().affected() == 0) return Status();  // the claim was lost
  Status s = RecordEvent(*conn_, job.id, now.value(), event, reply,
                         outcome == Outcome::kRetry ? reason : "");
  if (!s.ok()) return s;
  return tx.Commit();
}

Status PgOutbox::MarkSent(const ClaimedJob& job, std::string_view reply) {
  return Finish(job, Outcome::kSent, reply, "");
}

Status PgOutbox::MarkRetry(const ClaimedJob& job, std::string_view reply,
                           RetryReason reason) {
  return Finish(job, Outcome::kRetry, reply, RetryReasonName(reason));
}

Status PgOutbox::MarkFailed(const ClaimedJob& job, std::string_view reply) {
  return Finish(job, Outcome::kFailed, reply, "");
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
  // The bounds go as parameters: the statement is prepared once.
  std::vector<PgParam> bounds;
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    bounds.emplace_back(static_cast<std::int64_t>(kDeliveryBuckets[i] * 1000));
  }
  Result<PgRows> delivery = conn_->Query(PgDeliverySql(false).c_str(), bounds);
  if (!delivery.ok()) return delivery.status();
  stats.delivered = delivery.value().Int(0, 0);
  stats.delivery_ms_sum = delivery.value().Int(0, 1);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    stats.delivered_within.push_back(delivery.value().Int(0, 2 + i));
  }
  // What retention deleted stays counted (retention.cc).
  Result<std::map<std::string, std::int64_t>> counters = PgCounters(*conn_);
  if (!counters.ok()) return counters.status();
  const auto& c = counters.value();
  stats.sent_total = stats.by_state[static_cast<int>(JobState::kSent)] +
                     PgCounter(c, "retired:sent");
  stats.failed_total = stats.by_state[static_cast<int>(JobState::kFailed)] +
                       PgCounter(c, "retired:failed");
  stats.delivered += PgCounter(c, "retired:delivered");
  stats.delivery_ms_sum += PgCounter(c, "retired:delivery_ms_sum");
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    stats.delivered_within[i] +=
        PgCounter(c, "retired:delivered_within:" + std::to_string(i));
  }
  const std::string kRetry = "retired:retry:";
  for (const auto& [name, value] : c) {
    if (name.compare(0, kRetry.size(), kRetry) != 0) continue;
    const std::string reason = name.substr(kRetry.size());
    bool found = false;
    for (auto& [r, n] : stats.retries) {
      if (r == reason) {
        n += value;
        found = true;
      }
    }
    if (!found) stats.retries.emplace_back(reason, value);
  }
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
  PgTransaction tx(conn_);
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
  Status s = RecordEvent(*conn_, id, now.value(), "requeued", "regctl");
  if (!s.ok()) return s;
  return tx.Commit();
}

}  // namespace reg
