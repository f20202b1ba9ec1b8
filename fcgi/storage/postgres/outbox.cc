// PgOutbox: the job states and claims across hosts (engine.h); reads and
// regctl's view are in outbox_read.cc. Claims lock rows with FOR UPDATE
// SKIP LOCKED, so hosts sweeping at once take disjoint jobs, and every
// lease and due time is in the database's clock.
#include <optional>
#include <set>
#include <string>

#include "storage/jobs.h"
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

}  // namespace

Status PgRecordEvent(PgConnection& conn, std::int64_t job_id,
                     std::int64_t at_ms, const char* event,
                     std::string_view detail, std::string_view reason) {
  Result<PgRows> r = conn.Query(
      "INSERT INTO outbox_events(job_id, at_ms, event, detail, reason) "
      "VALUES($1, $2, $3, $4, $5)",
      {job_id, at_ms, event, detail.empty() ? PgParam() : PgParam(detail),
       reason.empty() ? PgParam() : PgParam(reason)});
  return r.status();
}

Result<std::int64_t> PgEnqueue(PgConnection& conn, const NewJob& job) {
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
  Status s = PgRecordEvent(conn, id, job.created_ms, "queued", "");
  if (!s.ok()) return s;
  return id;
}

PgOutbox::PgOutbox(std::unique_ptr<PgConnection> conn, const Clock* clock,
                   OutboxPolicy policy)
    : conn_(std::move(conn)), clock_(clock), policy_(std::move(policy)) {}

Result<ClaimOutcome> PgOutbox::Claim(std::int64_t id) {
  PgTransaction tx(conn_.get());
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
    Status s = PgRecordEvent(*conn_, id, now.value(), "claimed", "post");
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
  PgTransaction tx(conn_.get());
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
        PgRecordEvent(*conn_, jobs.back().id, now.value(), "claimed", "sweep");
    if (!s.ok()) return s;
  }
  Status s = tx.Commit();
  if (!s.ok()) return s;
  SortById(&jobs);
  return jobs;
}

Result<std::vector<ClaimRef>> PgOutbox::Renew(
    const std::vector<ClaimRef>& claims) {
  std::vector<ClaimRef> lost;
  if (claims.empty()) return lost;
  PgTransaction tx(conn_.get());
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
  PgTransaction tx(conn_.get());
  if (!tx.status().ok()) return tx.status();
  if (Status s = Relaxed(*conn_); !s.ok()) return s;
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  std::int64_t next = now.value();
  if (outcome == Outcome::kRetry) {
    const std::optional<std::int64_t> again =
        NextAttemptMs(policy_, job, now.value());
    if (again) {
      next = *again;
    } else {
      outcome = Outcome::kFailed;
    }
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
  Status s = PgRecordEvent(*conn_, job.id, now.value(), event, reply,
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

}  // namespace reg
