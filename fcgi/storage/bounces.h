// Bounces and suppression (CONTRACT section 8): what every engine decides
// alike about a delivery status notification `regctl bounce` hands over,
// or a 5xx to RCPT TO, and which addresses then get no mail. Each engine
// reads and writes the rows with its own SQL (Store::RecordNotification,
// Outbox::MarkRefused); the rules are here, once.
#ifndef FCGI_STORAGE_BOUNCES_H_
#define FCGI_STORAGE_BOUNCES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace reg {

// A notification's group for one job's recipient, its tag already checked
// (crypto/bounce_tag.h) for that job, recipient and creation time.
struct Notification {
  std::int64_t job_id = 0;
  std::int64_t created_s = 0;  // the tag's creation time
  std::string rcpt;            // the group's recipient (the tag's)
  std::string action;          // "failed" or "delayed"
  std::string status;          // "5.1.1", "" when it gave none
  std::string diagnostic;      // printable ASCII
};

enum class NotificationResult {
  kRecorded,    // on the job and its history
  kSuppressed,  // recorded, and its address suppressed
  kNoSuchJob,   // no mail job with that id, recipient and creation time
};

// A suppressed address (regctl suppressions).
struct SuppressionRow {
  std::string address;
  std::string status;  // what suppressed it: "5.1.1"
  std::int64_t job_id = 0;
  std::int64_t since_ms = 0;
  std::int64_t until_ms = 0;
};

// Notifications about mails created longer ago than this suppress nothing.
constexpr std::int64_t kNotificationMaxAgeMs = 7 * 86400 * 1000LL;

// True for the statuses that say the address does not exist: 5.1.x (bad
// mailbox or domain) and 5.2.1 (mailbox disabled). Not 5.7.x (policy: the
// fault may be ours), 5.2.2 (full), 5.4.x (routing), nor any other.
bool SuppressingStatus(std::string_view status);

// Whether a failure with "status" of a mail created at "created_ms"
// suppresses its address at "now_ms": a suppressing status, SUPPRESS_S not
// 0, the mail at most kNotificationMaxAgeMs old, and not from before
// "cleared_ms" (when the address was last verified or unsuppressed; 0 for
// never).
bool FailureSuppresses(std::string_view status, std::int64_t created_ms,
                       std::int64_t cleared_ms, std::int64_t now_ms,
                       std::int64_t suppress_ms);

// The history line of a notification: "5.1.1 mailbox unavailable".
std::string NotificationDetail(const Notification& n);

}  // namespace reg

#endif  // FCGI_STORAGE_BOUNCES_H_
