// SqliteOutbox: the job states (engine.h); reads and regctl's view are in
// outbox_read.cc.
#include <optional>
#include <set>
#include <vector>

#include "storage/jobs.h"
#include "storage/sqlite/engine.h"

namespace reg {
namespace {

#define CLAIMED_COLUMNS "id, rcpt, attempts, created_ms, channel, message_id"

// A claimed job from "RETURNING " CLAIMED_COLUMNS.
ClaimedJob ClaimedFrom(const Stmt& row) {
  ClaimedJob job;
  job.id = row.ColumnInt(0);
  job.rcpt = row.ColumnText(1);
  job.attempts = static_cast<int>(row.ColumnInt(2));
  job.created_ms = row.ColumnInt(3);
  job.channel =
      row.ColumnText(4) == "webhook" ? Channel::kWebhook : Channel::kMail;
  job.message_id = row.ColumnText(5);
  return job;
}

// Reads the sealed message of a job just claimed.
Status ReadMessage(Database& db, ClaimedJob* job) {
  Stmt find(db, "find message",
            "SELECT message FROM outbox_messages WHERE job_id = ?");
  find.Int(job->id);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) {
    return Status::Internal("job " + std::to_string(job->id) + ": no message");
  }
  job->sealed = find.ColumnText(0);
  return Status();
}

}  // namespace

Status AppendEvent(Database& db, std::int64_t job_id, std::int64_t at_ms,
                   const char* event, std::string_view detail,
                   std::string_view reason) {
  Stmt insert(db, "insert event",
              "INSERT INTO outbox_events(job_id, at_ms, event, detail, reason) "
              "VALUES(?, ?, ?, ?, ?)");
  insert.Int(job_id).Int(at_ms).Text(event).TextOrNull(detail).TextOrNull(
      reason);
  return insert.Run();
}

Status RecordEvent(Database& db, std::int64_t job_id, std::int64_t at_ms,
                   const char* event, std::string_view detail,
                   std::string_view reason) {
  Status s = AppendEvent(db, job_id, at_ms, event, detail, reason);
  if (!s.ok()) return s;
  Stmt changed(db, "job changed",
               "UPDATE outbox SET changed_ms = max(changed_ms, ?) "
               "WHERE id = ?");
  changed.Int(at_ms).Int(job_id);
  return changed.Run();
}

SqliteOutbox::SqliteOutbox(std::unique_ptr<Reader> reader, WriteLane* lane,
                           const Clock* clock, OutboxPolicy policy)
    : reader_(std::move(reader)),
      lane_(lane),
      clock_(clock),
      policy_(std::move(policy)) {}

Result<JobState> SqliteOutbox::State(std::int64_t id) {
  Result<Database*> db = reader_->Get();
  if (!db.ok()) return db.status();
  Stmt find(*db.value(), "find job", "SELECT state FROM outbox WHERE id = ?");
  find.Int(id);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::NotFound("no such job");
  return JobStateFromName(find.ColumnText(0));
}

Result<ClaimOutcome> SqliteOutbox::Claim(std::int64_t id) {
  ClaimOutcome outcome;
  Status s = lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    outcome = ClaimOutcome();
    {
      Stmt claim(db, "claim job",
                 "UPDATE outbox SET state = 'sending', lease_until_ms = ?1, "
                 "attempts = attempts + 1, claimed_by = ?2, "
                 "changed_ms = max(changed_ms, ?4) "
                 "WHERE id = ?3 AND (state = 'queued' OR "
                 "(state = 'sending' AND lease_until_ms <= ?4)) "
                 "RETURNING " CLAIMED_COLUMNS);
      claim.Int(now + policy_.lease_ms).Text(policy_.claimant).Int(id).Int(now);
      Result<bool> row = claim.Step();
      if (!row.ok()) return row.status();
      if (row.value()) {
        outcome.job = ClaimedFrom(claim);
        if (Status done = claim.Run(); !done.ok()) return done;
        Status st = ReadMessage(db, &*outcome.job);
        if (!st.ok()) return st;
        return AppendEvent(db, id, now, "claimed", "post");
      }
    }
    Stmt find(db, "find job", "SELECT state FROM outbox WHERE id = ?");
    find.Int(id);
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return Status::NotFound("no such job");
    Result<JobState> state = JobStateFromName(find.ColumnText(0));
    if (!state.ok()) return state.status();
    outcome.state = state.value();
    return Status();
  });
  if (!s.ok()) return s;
  return outcome;
}

Result<std::vector<ClaimedJob>> SqliteOutbox::ClaimDue(int limit) {
  std::vector<ClaimedJob> jobs;
  Status s = lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    jobs.clear();
    {
      Stmt claim(db, "claim due jobs",
                 "UPDATE outbox SET state = 'sending', lease_until_ms = ?1, "
                 "attempts = attempts + 1, claimed_by = ?4, "
                 "changed_ms = max(changed_ms, ?2) WHERE id IN ("
                 "  SELECT id FROM outbox"
                 "  WHERE (state = 'queued' AND next_attempt_ms <= ?2)"
                 "     OR (state = 'sending' AND lease_until_ms <= ?2)"
                 "  ORDER BY next_attempt_ms LIMIT ?3) "
                 "RETURNING " CLAIMED_COLUMNS);
      claim.Int(now + policy_.lease_ms)
          .Int(now)
          .Int(limit)
          .Text(policy_.claimant);
      for (;;) {
        Result<bool> row = claim.Step();
        if (!row.ok()) return row.status();
        if (!row.value()) break;
        jobs.push_back(ClaimedFrom(claim));
      }
    }
    for (ClaimedJob& job : jobs) {
      Status st = ReadMessage(db, &job);
      if (st.ok()) st = AppendEvent(db, job.id, now, "claimed", "sweep");
      if (!st.ok()) return st;
    }
    return Status();
  });
  if (!s.ok()) return s;
  SortById(&jobs);
  return jobs;
}

Result<std::vector<ClaimRef>> SqliteOutbox::Renew(
    const std::vector<ClaimRef>& claims) {
  std::vector<ClaimRef> lost;
  if (claims.empty()) return lost;
  Status s = lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    const std::int64_t until = clock_->NowMs() + policy_.lease_ms;
    lost.clear();
    for (const ClaimRef& claim : claims) {
      Stmt renew(txn.db(), "renew lease",
                 "UPDATE outbox SET lease_until_ms = ? "
                 "WHERE id = ? AND state = 'sending' AND attempts = ?");
      renew.Int(until).Int(claim.id).Int(claim.attempts);
      Status st = renew.Run();
      if (!st.ok()) return st;
      if (renew.changes() == 0) lost.push_back(claim);
    }
    return Status();
  });
  if (!s.ok()) return s;
  return lost;
}

Result<int> SqliteOutbox::ReleaseLostClaims(
    const std::vector<std::int64_t>& sending) {
  const std::set<std::int64_t> busy(sending.begin(), sending.end());
  int released = 0;
  Status s = lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    released = 0;
    std::vector<std::int64_t> lost;
    {
      Stmt claimed(db, "claims of this process",
                   "SELECT id FROM outbox "
                   "WHERE state = 'sending' AND claimed_by = ?");
      claimed.Text(policy_.claimant);
      for (;;) {
        Result<bool> row = claimed.Step();
        if (!row.ok()) return row.status();
        if (!row.value()) break;
        if (busy.count(claimed.ColumnInt(0)) == 0) {
          lost.push_back(claimed.ColumnInt(0));
        }
      }
    }
    for (std::int64_t id : lost) {
      Stmt requeue(db, "release a lost claim",
                   "UPDATE outbox SET state = 'queued', next_attempt_ms = ?1, "
                   "lease_until_ms = NULL, changed_ms = max(changed_ms, ?1) "
                   "WHERE id = ?2");
      requeue.Int(now).Int(id);
      Status st = requeue.Run();
      if (st.ok()) st = AppendEvent(db, id, now, "requeued", "lost claim");
      if (!st.ok()) return st;
      released++;
    }
    return Status();
  });
  if (!s.ok()) return s;
  return released;
}

Result<bool> SqliteOutbox::Finish(const ClaimedJob& job, const char* state,
                                  std::int64_t next_attempt_ms,
                                  std::string_view reply, const char* event,
                                  std::string_view reason,
                                  const RowsWork& also) {
  bool changed = false;
  Status s = lane_->Run(Durability::kRelaxed, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    const bool sent = std::string_view(state) == "sent";
    Stmt update(db, "update job",
                "UPDATE outbox SET state = ?1, next_attempt_ms = ?2, "
                "last_reply = ?3, lease_until_ms = NULL, "
                "sent_ms = CASE WHEN ?4 THEN ?5 ELSE sent_ms END, "
                "changed_ms = max(changed_ms, ?5) "
                "WHERE id = ?6 AND state = 'sending' AND attempts = ?7");
    update.Text(state)
        .Int(next_attempt_ms == 0 ? now : next_attempt_ms)
        .Text(reply)
        .Int(sent ? 1 : 0)
        .Int(now)
        .Int(job.id)
        .Int(job.attempts);
    Status st = update.Run();
    if (!st.ok()) return st;
    changed = update.changes() > 0;
    if (!changed) return Status();  // claim lost; the new owner records
    st = AppendEvent(db, job.id, now, event, reply, reason);
    if (!st.ok() || !also) return st;
    SqliteTxnRows rows(txn);
    return also(rows, now);
  });
  if (!s.ok()) return s;
  return changed;
}

Status SqliteOutbox::MarkSent(const ClaimedJob& job, std::string_view reply) {
  return Finish(job, "sent", 0, reply, "sent", "").status();
}

Status SqliteOutbox::MarkRetry(const ClaimedJob& job, std::string_view reply,
                               RetryReason reason) {
  const std::optional<std::int64_t> next =
      NextAttemptMs(policy_, job, clock_->NowMs());
  if (!next) return MarkFailed(job, reply);
  return Finish(job, "queued", *next, reply, "retry", RetryReasonName(reason))
      .status();
}

Status SqliteOutbox::MarkFailed(const ClaimedJob& job, std::string_view reply) {
  return Finish(job, "failed", 0, reply, "failed", "").status();
}

}  // namespace reg

#undef CLAIMED_COLUMNS  // unity builds: the next file may define its own
