// Retention: nothing is kept forever. Unverified accounts go some time
// after their last link expired; sent mails lose their sealed body (which
// holds the link) some time after sending, while the job row and its
// history stay for the operator.
#ifndef FCGI_STORAGE_RETENTION_H_
#define FCGI_STORAGE_RETENTION_H_

#include <cstdint>

namespace reg {

struct RetentionPolicy {
  // An unverified account, its tokens, its mail jobs and their history are
  // deleted this long after its last link expired (after its creation when
  // it never got one), unless a job of it is still queued or sending.
  std::int64_t unverified_ms = 7 * 86400 * 1000LL;
  // A sent mail's sealed body is emptied this long after it was sent.
  std::int64_t mail_body_ms = 7 * 86400 * 1000LL;
  // Receipts are forgotten once expired (TOKEN_TTL_S after their answer);
  // suppressions once expired (a lifted one kNotificationMaxAgeMs later).
  // Wrong codes are forgotten once they count no more: this long after
  // they were typed (TOKEN_TTL_S).
  std::int64_t wrong_code_ms = 86400 * 1000LL;
  // At most this many accounts per call, so one call stays short.
  int batch = 500;
};

struct RetentionResult {
  std::int64_t accounts = 0;     // accounts deleted
  std::int64_t mail_bodies = 0;  // bodies emptied
  std::int64_t receipts = 0;     // expired receipts forgotten
  std::int64_t suppressions = 0;  // expired suppressions forgotten
};

// Store::ApplyRetention applies a policy once, in one transaction. What it
// deletes stays counted: the engine adds the deleted jobs' figures to its
// metrics totals, and the counts above to retention_accounts_deleted_total
// and retention_mail_bodies_deleted_total, in the same transaction.

}  // namespace reg

#endif  // FCGI_STORAGE_RETENTION_H_
