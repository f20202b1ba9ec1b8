#include "storage/bounces.h"

#include "storage/rows.h"
#include "storage/store.h"

namespace reg {

bool SuppressingStatus(std::string_view status) {
  return status.rfind("5.1.", 0) == 0 || status == "5.2.1";
}

bool FailureSuppresses(std::string_view status, std::int64_t created_ms,
                       std::int64_t cleared_ms, std::int64_t now_ms,
                       std::int64_t suppress_ms) {
  return suppress_ms > 0 && SuppressingStatus(status) &&
         now_ms - created_ms <= kNotificationMaxAgeMs &&
         created_ms >= cleared_ms;
}

std::string NotificationDetail(const Notification& n) {
  std::string detail = n.status;
  if (!n.diagnostic.empty()) {
    if (!detail.empty()) detail += " ";
    detail += n.diagnostic;
  }
  return detail;
}

Result<bool> SuppressRecipient(TxnRows& rows, std::int64_t job_id,
                               const std::string& status, std::int64_t now_ms,
                               std::int64_t suppress_ms,
                               std::string_view state) {
  Result<std::optional<SuppressionFacts>> facts =
      rows.SuppressionFactsOf(job_id, state);
  if (!facts.ok()) return facts.status();
  if (!facts.value() ||
      !FailureSuppresses(status, facts.value()->created_ms,
                         facts.value()->cleared_ms, now_ms, suppress_ms)) {
    return false;
  }
  Status s = rows.Suppress(
      {facts.value()->rcpt, status, job_id, now_ms, now_ms + suppress_ms});
  if (!s.ok()) return s;
  return true;
}

Status SuppressRefused(TxnRows& rows, std::int64_t job_id,
                       std::string_view reply, std::int64_t now_ms,
                       std::int64_t suppress_ms) {
  const std::string status = ReplyStatusCode(reply);
  if (!SuppressingStatus(status)) return Status();
  return SuppressRecipient(rows, job_id, status, now_ms, suppress_ms, "failed")
      .status();
}

Result<NotificationResult> Store::RecordNotification(
    const Notification& n, std::int64_t suppress_ms) {
  NotificationResult result = NotificationResult::kNoSuchJob;
  Status s = Write(Durability::kDurable, "",
                   [&](TxnRows& rows, std::int64_t now) -> Status {
    result = NotificationResult::kNoSuchJob;
    Result<std::optional<std::string>> job = rows.NotifiedJob(n);
    if (!job.ok()) return job.status();
    if (!job.value()) return Status();
    const bool failed = n.action == "failed";
    const bool first_failure = failed && *job.value() != "failed";
    if (Status st = rows.RecordNotice(n.job_id, failed, n.status, now);
        !st.ok()) {
      return st;
    }
    if (Status st = rows.RecordEvent(n.job_id, now,
                                     failed ? "bounced" : "delayed",
                                     NotificationDetail(n));
        !st.ok()) {
      return st;
    }
    if (first_failure) {
      if (Status st = rows.AddCounter("mail_bounced_total", 1); !st.ok()) {
        return st;
      }
    }
    result = NotificationResult::kRecorded;
    if (!failed) return Status();
    Result<bool> suppressed =
        SuppressRecipient(rows, n.job_id, n.status, now, suppress_ms);
    if (!suppressed.ok()) return suppressed.status();
    if (suppressed.value()) result = NotificationResult::kSuppressed;
    return Status();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace reg
