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
  // One statement: the line, and its time as the job's last change.
  Result<PgRows> r = conn.Query(
      "WITH e AS (INSERT INTO outbox_events(job_id, at_ms, event, detail, "
      "  reason) VALUES($1, $2, $3, $4, $5)) "
      "UPDATE outbox SET changed_ms = greatest(changed_ms, $2) WHERE id = $1",
      {job_id, at_ms, event, detail.empty() ? PgParam() : PgParam(detail),
       reason.empty() ? PgParam() : PgParam(reason)});
  return r.status();
}

Result<JobState> PgJobState(PgConnection& conn, std::int64_t id) {
  Result<PgRows> found =
      conn.Query("SELECT state FROM outbox WHERE id = $1", {id});
  if (!found.ok()) return found.status();
  if (found.value().empty()) return Status::NotFound("no such job");
  return JobStateFromName(found.value().Text(0, 0));
}

PgOutbox::PgOutbox(std::unique_ptr<PgConnection> conn, PgWriteLane* lane,
                   const Clock* clock, OutboxPolicy policy)
    : conn_(std::move(conn)),
      lane_(lane),
      clock_(clock),
      policy_(std::move(policy)) {}

// Claims, renewals and outcomes need not wait for the WAL flush
// (kRelaxed): a power loss may undo one, and that mail goes out again
// (outbox.h). Each is one statement in the lane's batch: the job's row
// (its last change included) and its history event together.

Result<ClaimOutcome> PgOutbox::Claim(std::int64_t id) {
  ClaimOutcome outcome;
  Status s = lane_->Run(Durability::kRelaxed, [&](PgTxn& txn) -> Status {
    PgConnection& conn = txn.conn();
    const std::int64_t now = txn.now_ms();
    outcome = ClaimOutcome();
    // A racing claim of the same row waits for this one, then finds the
    // row no longer claimable: one claim wins, on any host.
    Result<PgRows> claimed = conn.Query(
        "WITH c AS (UPDATE outbox o SET state = 'sending', "
        "  lease_until_ms = $1, attempts = attempts + 1, claimed_by = $2, "
        "  changed_ms = greatest(o.changed_ms, $4) "
        "  FROM outbox_messages m "
        "  WHERE o.id = $3 AND m.job_id = o.id AND (o.state = 'queued' OR "
        "  (o.state = 'sending' AND o.lease_until_ms <= $4)) "
        "  RETURNING " CLAIMED_COLUMNS "), "
        "e AS (INSERT INTO outbox_events(job_id, at_ms, event, detail) "
        "  SELECT id, $4, 'claimed', 'post' FROM c) "
        "SELECT * FROM c",
        {now + policy_.lease_ms, policy_.claimant, id, now});
    if (!claimed.ok()) return claimed.status();
    if (!claimed.value().empty()) {
      outcome.job = ClaimedFrom(claimed.value(), 0);
      return Status();
    }
    Result<JobState> state = PgJobState(conn, id);  // in this transaction
    if (!state.ok()) return state.status();
    outcome.state = state.value();
    return Status();
  });
  if (!s.ok()) return s;
  return outcome;
}

Result<std::vector<ClaimedJob>> PgOutbox::ClaimDue(int limit) {
  std::vector<ClaimedJob> jobs;
  Status s = lane_->Run(Durability::kRelaxed, [&](PgTxn& txn) -> Status {
    PgConnection& conn = txn.conn();
    const std::int64_t now = txn.now_ms();
    jobs.clear();
    // SKIP LOCKED: rows another host is claiming right now are left to it.
    // The picked ids are MATERIALIZED: as a subquery of the UPDATE
    // ("o.id IN (SELECT ... LIMIT $3 FOR UPDATE SKIP LOCKED)") a plan may
    // run the pick again for each joined row, and each run skips the rows
    // this UPDATE has just changed and locks the next ones: 3 claimed for
    // a limit of 2 (seen in the engine test under load).
    Result<PgRows> claimed = conn.Query(
        "WITH p AS MATERIALIZED (SELECT id FROM outbox"
        "    WHERE (state = 'queued' AND next_attempt_ms <= $2)"
        "       OR (state = 'sending' AND lease_until_ms <= $2)"
        "    ORDER BY next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED), "
        "c AS (UPDATE outbox o SET state = 'sending', "
        "  lease_until_ms = $1, attempts = attempts + 1, claimed_by = $4, "
        "  changed_ms = greatest(o.changed_ms, $2) "
        "  FROM p, outbox_messages m WHERE o.id = p.id AND m.job_id = o.id "
        "  RETURNING " CLAIMED_COLUMNS "), "
        "e AS (INSERT INTO outbox_events(job_id, at_ms, event, detail) "
        "  SELECT id, $2, 'claimed', 'sweep' FROM c ORDER BY id) "
        "SELECT * FROM c",
        {now + policy_.lease_ms, now, limit, policy_.claimant});
    if (!claimed.ok()) return claimed.status();
    for (int i = 0; i < claimed.value().size(); i++) {
      jobs.push_back(ClaimedFrom(claimed.value(), i));
    }
    return Status();
  });
  if (!s.ok()) return s;
  SortById(&jobs);
  return jobs;
}

Result<std::vector<ClaimRef>> PgOutbox::Renew(
    const std::vector<ClaimRef>& claims) {
  std::vector<ClaimRef> lost;
  if (claims.empty()) return lost;
  Status s = lane_->Run(Durability::kRelaxed, [&](PgTxn& txn) -> Status {
    lost.clear();
    Result<PgRows> renewed = txn.conn().Query(
        "UPDATE outbox o SET lease_until_ms = $3 "
        "FROM unnest($1::bigint[], $2::integer[]) AS c(id, attempts) "
        "WHERE o.id = c.id AND o.attempts = c.attempts "
        "AND o.state = 'sending' RETURNING o.id, o.attempts",
        {ArrayOf(claims, [](const ClaimRef& c) { return c.id; }),
         ArrayOf(claims, [](const ClaimRef& c) { return c.attempts; }),
         txn.now_ms() + policy_.lease_ms});
    if (!renewed.ok()) return renewed.status();
    std::set<ClaimRef> held;
    for (int i = 0; i < renewed.value().size(); i++) {
      held.insert({renewed.value().Int(i, 0),
                   static_cast<int>(renewed.value().Int(i, 1))});
    }
    for (const ClaimRef& c : claims) {
      if (held.count(c) == 0) lost.push_back(c);
    }
    return Status();
  });
  if (!s.ok()) return s;
  return lost;
}

Result<int> PgOutbox::ReleaseLostClaims(
    const std::vector<std::int64_t>& sending) {
  std::string ids = "{";
  for (std::int64_t id : sending) {
    if (ids.size() > 1) ids += ',';
    ids += std::to_string(id);
  }
  ids += '}';
  int released = 0;
  Status s = lane_->Run(Durability::kRelaxed, [&](PgTxn& txn) -> Status {
    Result<PgRows> requeued = txn.conn().Query(
        "WITH u AS (UPDATE outbox SET state = 'queued', next_attempt_ms = $1, "
        "  lease_until_ms = NULL, changed_ms = greatest(changed_ms, $1) "
        "  WHERE state = 'sending' AND claimed_by = $2 "
        "  AND NOT (id = ANY($3::bigint[])) RETURNING id), "
        "e AS (INSERT INTO outbox_events(job_id, at_ms, event, detail) "
        "  SELECT id, $1, 'requeued', 'lost claim' FROM u) "
        "SELECT count(*) FROM u",
        {txn.now_ms(), policy_.claimant, ids});
    if (!requeued.ok()) return requeued.status();
    released = static_cast<int>(requeued.value().Int(0, 0));
    return Status();
  });
  if (!s.ok()) return s;
  return released;
}

Status PgOutbox::Finish(const ClaimedJob& job, Outcome outcome,
                        std::string_view reply, std::string_view reason,
                        const RowsWork& also) {
  return lane_->Run(Durability::kRelaxed, [&](PgTxn& txn) -> Status {
    const std::int64_t now = txn.now_ms();
    Outcome result = outcome;
    std::int64_t next = now;
    if (result == Outcome::kRetry) {
      const std::optional<std::int64_t> again =
          NextAttemptMs(policy_, job, now);
      if (again) {
        next = *again;
      } else {
        result = Outcome::kFailed;
      }
    }
    const char* state = result == Outcome::kSent    ? "sent"
                        : result == Outcome::kRetry ? "queued"
                                                    : "failed";
    const char* event = result == Outcome::kSent    ? "sent"
                        : result == Outcome::kRetry ? "retry"
                                                    : "failed";
    // Nothing is written when the claim was lost.
    Result<PgRows> finished = txn.conn().Query(
            "WITH u AS (UPDATE outbox SET state = $1, next_attempt_ms = $2, "
            "  last_reply = $3, lease_until_ms = NULL, "
            "  sent_ms = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_ms END, "
            "  changed_ms = greatest(changed_ms, $4) "
            "  WHERE id = $5 AND state = 'sending' AND attempts = $6 "
            "  RETURNING id) "
            "INSERT INTO outbox_events(job_id, at_ms, event, detail, reason) "
            "SELECT id, $4, $7, nullif($3, ''), nullif($8, '') FROM u",
            {state, next, reply, now, job.id, job.attempts, event,
             result == Outcome::kRetry ? reason : std::string_view()});
    if (!finished.ok()) return finished.status();
    if (!also || finished.value().affected() == 0) return Status();
    PgTxnRows rows(txn.conn());
    return also(rows, now);
  });
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

#undef CLAIMED_COLUMNS  // unity builds: the next file may define its own
