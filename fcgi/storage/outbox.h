// Outbox: the mail jobs' states in SQLite.
//   queued --claim--> sending --250--> sent
//                        |---4xx/timeout--> queued (later) or failed (48 h)
//                        '---5xx--> failed
// A claim holds for lease_ms and is renewed while its send runs (Renew); a
// job claimed by a process that died is claimed again once its lease has
// run out. A claim is known by (id, attempts): every claim counts one
// attempt, so a later claim of the same job never matches an earlier one.
#ifndef FCGI_STORAGE_OUTBOX_H_
#define FCGI_STORAGE_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/db.h"

namespace reg {

enum class JobState { kQueued, kSending, kSent, kFailed };
const char* JobStateName(JobState state);

struct OutboxPolicy {
  std::int64_t lease_ms = 120 * 1000;
  std::int64_t retry_ms = 30 * 1000;  // first retry; doubles, capped
  std::int64_t max_retry_ms = 3600 * 1000;
  std::int64_t retry_for_ms = 48LL * 3600 * 1000;  // then give up
  std::string claimant;  // recorded with each claim: "pid@host"
};

// Names one claim of a job: (id, attempts).
struct ClaimRef {
  std::int64_t id = 0;
  int attempts = 0;
  bool operator<(const ClaimRef& o) const {
    return id != o.id ? id < o.id : attempts < o.attempts;
  }
};

// A job this process holds the claim on.
struct ClaimedJob {
  std::int64_t id = 0;
  std::string rcpt;
  std::string sealed;  // the sealed message (Sealer::Open)
  int attempts = 0;    // including this one; names the claim
  std::int64_t created_ms = 0;
  std::int64_t lease_until_ms = 0;
  ClaimRef ref() const { return {id, attempts}; }
};

struct ClaimOutcome {
  JobState state = JobState::kQueued;  // the state found
  std::optional<ClaimedJob> job;       // set when this call claimed it
};

struct OutboxStats {
  std::int64_t by_state[4] = {0, 0, 0, 0};  // indexed by JobState
  std::int64_t oldest_queued_ms = 0;        // 0: none queued
  std::vector<std::pair<std::string, std::int64_t>> counters;
};

// Not thread-safe: one Outbox per thread, over that thread's Database.
class Outbox {
 public:
  Outbox(Database* db, const Clock* clock, OutboxPolicy policy)
      : db_(db), clock_(clock), policy_(policy) {}

  // The job's state, read without a write transaction. NotFound if none.
  Result<JobState> State(std::int64_t id);

  // Claims job "id" if it is queued (or sending with an expired lease).
  // NotFound when there is no such job. Otherwise the state found, and
  // the claimed job when this call took it.
  Result<ClaimOutcome> Claim(std::int64_t id);

  // Claims up to "limit" jobs that are due: queued with next_attempt_ms
  // passed, or sending with an expired lease; the longest due first.
  Result<std::vector<ClaimedJob>> ClaimDue(int limit);

  // Extends each claim still held (not taken by another claim since, nor
  // finished) to now + lease_ms, in one transaction. Returns the claims
  // that were lost. Called just before a job goes to SMTP (the atomic
  // check) and by the heartbeat while sends run.
  Result<std::vector<ClaimRef>> Renew(const std::vector<ClaimRef>& claims);

  // Outcomes of an attempt. Each is one transaction, and does nothing if
  // the claim was lost (lease expired and taken by another process).
  Status MarkSent(const ClaimedJob& job, std::string_view reply);
  // Back to queued after the doubling delay; failed once retry_for_ms has
  // passed since the job was queued. "reason" labels the retry metric.
  Status MarkRetry(const ClaimedJob& job, std::string_view reply,
                   std::string_view reason);
  Status MarkFailed(const ClaimedJob& job, std::string_view reply);

  // Delay before the next try after "attempts" failed attempts.
  std::int64_t RetryDelayMs(int attempts) const;

  Result<OutboxStats> Stats();

 private:
  Status Event(std::int64_t id, std::int64_t now, const char* event,
               std::string_view detail);
  Result<bool> Transition(const ClaimedJob& job, const char* sql_state,
                          std::int64_t next_attempt_ms, std::string_view reply,
                          bool sent);

  Database* db_;
  const Clock* clock_;
  OutboxPolicy policy_;
};

// Histogram bucket bounds, seconds, for the answer-to-250 time.
extern const double kDeliveryBuckets[];
extern const int kDeliveryBucketCount;

}  // namespace reg

#endif  // FCGI_STORAGE_OUTBOX_H_
