// Outbox: the jobs of work done after an answer, and their history, as any
// storage engine keeps them. A job goes out on one of two channels: a mail
// over SMTP, or an event for the site's app posted to WEBHOOK_URL; both go
// through the same states, claims, leases, retries and sweeps. The interface
// speaks Status, rows and times (Unix milliseconds).
//   queued --claim--> sending --250--> sent
//                        |---4xx/timeout--> queued (later) or failed (48 h)
//                        '---5xx--> failed
// A claim holds for lease_ms and is renewed while its send runs (Renew); a
// job claimed by a process that died is claimed again once its lease has
// run out. A claim is known by (id, attempts): every claim counts one
// attempt, so a later claim of the same job never matches an earlier one.
//
// Every change of a job (queued, claimed, sent, retry, failed, requeued,
// bounced, delayed) writes a line of its history and, in the same
// statement or transaction, the line's time on the job's own row (its
// last change, the newest line's time, what GET /register/status shows as
// "since"), so that a status read never reads the history.
//
// Jobs are queued by the Store, inside the transaction of the registration
// (or activation) that causes them: durable, and never without it.
// Claims, renewals and outcomes may be committed without their own fsync:
// a power loss can undo one written since the last durable commit, and
// that mail then goes out a second time, with the same Message-ID.
#ifndef FCGI_STORAGE_OUTBOX_H_
#define FCGI_STORAGE_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/retry_reason.h"
#include "base/status.h"

namespace reg {

enum class JobState { kQueued, kSending, kSent, kFailed };
const char* JobStateName(JobState state);
// NotFound for a name that is not a state.
Result<JobState> JobStateFromName(std::string_view name);

struct OutboxPolicy {
  std::int64_t lease_ms = 120 * 1000;
  std::int64_t retry_ms = 30 * 1000;  // first retry; doubles, capped
  std::int64_t max_retry_ms = 3600 * 1000;
  std::int64_t retry_for_ms = 48LL * 3600 * 1000;  // then give up
  std::string claimant;  // recorded with each claim: "pid@host"
  // SUPPRESS_S: how long a refused address gets no mail (0: never).
  std::int64_t suppress_ms = 30LL * 86400 * 1000;
};

enum class Channel { kMail, kWebhook };
const char* ChannelName(Channel channel);  // "mail", "webhook"

// Delay before the next try after "attempts" failed attempts.
std::int64_t RetryDelayMs(const OutboxPolicy& policy, int attempts);

struct NewJob {
  std::int64_t user_id = 0;  // 0: none (the "no account" mail)
  Channel channel = Channel::kMail;
  std::string kind;  // mail: "verify", "exists", "no_account"; "account.verified"
  std::string cause = "register";  // or "resend", "activate"
  std::string rcpt;                // the address as typed; "" for a webhook
  std::string
      mailbox;  // MailboxKey(rcpt): what MAIL_CAP counts; "" for a webhook
  std::string domain;  // MailDomain(mailbox): what MAIL_CAP_TOTAL counts
  // When MAIL_CAP_TOTAL counts it: created_ms, or the later time the cap
  // delayed it to (then due_ms too). 0 for a webhook.
  std::int64_t cap_ms = 0;
  std::string message_id;  // of the rendered message; an event's id
  std::string sealed;      // the message or event body, sealed (Sealer)
  std::int64_t created_ms = 0;
  std::int64_t due_ms = 0;  // a sweep may claim it from then on
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
  Channel channel = Channel::kMail;
  std::string message_id;  // an event's id (X-Event-Id)
  std::string rcpt;
  std::string sealed;  // the sealed message (Sealer::Open)
  int attempts = 0;    // including this one; names the claim
  std::int64_t created_ms = 0;
  ClaimRef ref() const { return {id, attempts}; }
};

struct ClaimOutcome {
  JobState state = JobState::kQueued;  // the state found
  std::optional<ClaimedJob> job;       // set when this call claimed it
};

// What /internal/metrics reads of the outbox, counted from the rows at
// scrape time (nothing is counted on the write path). An engine that
// deletes old rows (retention) must keep what it deletes in its totals, so
// that the *_total figures built from these never go down.
struct OutboxStats {
  std::int64_t by_state[4] = {0, 0, 0, 0};  // indexed by JobState
  // Jobs ever sent / given up: by_state's, plus those retention deleted.
  std::int64_t sent_total = 0;
  std::int64_t failed_total = 0;
  std::int64_t oldest_waiting_ms = 0;  // created_ms; 0: none waiting
  // Retried attempts by reason (connect, timeout, 4xx, network, tls).
  std::vector<std::pair<std::string, std::int64_t>> retries;
  // Sent jobs whose answer-to-250 time was at most each bound (cumulative,
  // one count per bound of kDeliveryBuckets), their count and time sum.
  std::vector<std::int64_t> delivered_within;
  std::int64_t delivered = 0;
  std::int64_t delivery_ms_sum = 0;
  // The events (Channel::kWebhook) by state; every figure above is mail's.
  std::int64_t events_by_state[4] = {0, 0, 0, 0};
};

// Histogram bucket bounds, seconds, for the answer-to-250 time.
extern const double kDeliveryBuckets[];
extern const int kDeliveryBucketCount;

// The operator's view of one job (regctl).
struct JobRow {
  std::int64_t id = 0;
  std::string channel;  // "mail" or "webhook"
  std::string kind;
  std::string rcpt;
  std::string state;
  int attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_reply;
  std::string claimed_by;
};

struct JobEvent {
  std::int64_t at_ms = 0;
  std::string event;  // queued, claimed, sent, retry, failed, requeued
  std::string detail;
};

// One Outbox per thread; not thread-safe. Reads (State, Stats, ListJobs,
// GetJob) never wait for a writer.
class Outbox {
 public:
  virtual ~Outbox() = default;

  // The job's state. NotFound if none.
  virtual Result<JobState> State(std::int64_t id) = 0;

  // Claims job "id" if it is queued (or sending with an expired lease).
  // NotFound when there is no such job. Otherwise the state found, and
  // the claimed job when this call took it.
  virtual Result<ClaimOutcome> Claim(std::int64_t id) = 0;

  // Claims up to "limit" jobs that are due: queued with their due time
  // passed, or sending with an expired lease; the longest due first,
  // returned in id order.
  virtual Result<std::vector<ClaimedJob>> ClaimDue(int limit) = 0;

  // Extends each claim still held (not taken by another claim since, nor
  // finished) to now + lease_ms. Returns the claims that were lost.
  // Called just before a job goes to SMTP (the atomic check) and by the
  // heartbeat while sends run.
  virtual Result<std::vector<ClaimRef>> Renew(
      const std::vector<ClaimRef>& claims) = 0;

  // Puts back in the queue, due now, every job this process (the policy's
  // claimant) holds a claim on but is not sending: a claim whose answer
  // was lost (a call that timed out may have committed unseen) would
  // otherwise hold its job for a whole lease. "sending": the ids this
  // process is sending (its heartbeat's). Each gets a "requeued" event
  // ("lost claim"). Returns how many went back.
  virtual Result<int> ReleaseLostClaims(
      const std::vector<std::int64_t>& sending) = 0;

  // Outcomes of an attempt. Each does nothing if the claim was lost (its
  // lease ran out and another process claimed the job).
  virtual Status MarkSent(const ClaimedJob& job, std::string_view reply) = 0;
  // Back to queued after the doubling delay; failed once retry_for_ms has
  // passed since the job was queued. "reason" labels the retry metric.
  virtual Status MarkRetry(const ClaimedJob& job, std::string_view reply,
                           RetryReason reason) = 0;
  virtual Status MarkFailed(const ClaimedJob& job, std::string_view reply) = 0;
  // MarkFailed for a 5xx to RCPT TO; then, when the reply's status says
  // the address does not exist (storage/bounces.h), the job's recipient
  // is suppressed for suppress_ms (a second, relaxed transaction).
  virtual Status MarkRefused(const ClaimedJob& job, std::string_view reply) = 0;

  virtual Result<OutboxStats> Stats() = 0;

  // Jobs in "state" ("" for all), newest first, at most "limit".
  virtual Result<std::vector<JobRow>> ListJobs(const std::string& state,
                                               int limit) = 0;
  // One job and its history, oldest event first. NotFound if none.
  virtual Result<JobRow> GetJob(std::int64_t id,
                                std::vector<JobEvent>* events) = 0;
  // Puts a failed (or queued) job back in the queue, due now, with a
  // "requeued" event. InvalidArgument for a job that is sent or sending.
  virtual Status RequeueJob(std::int64_t id) = 0;
};

}  // namespace reg

#endif  // FCGI_STORAGE_OUTBOX_H_
