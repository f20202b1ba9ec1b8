// Retention: nothing is kept forever. Unverified accounts go some time
// after their last link expired, and so do the "no account" mails, which
// belong to none; sent mails lose their sealed body (which holds the link)
// some time after sending, while the job row and its history stay for the
// operator.
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
  // At most this many accounts, and as many "no account" mails, per
  // call, so one call stays short.
  int batch = 500;
};

struct RetentionResult {
  std::int64_t accounts = 0;     // accounts deleted
  std::int64_t mail_bodies = 0;  // bodies emptied
  std::int64_t receipts = 0;     // expired receipts forgotten
  std::int64_t suppressions = 0;  // expired suppressions forgotten
  std::int64_t no_account_mails = 0;  // "no account" mail jobs deleted
};

// A "no account" mail (kind no_account: a resend's to an unknown address)
// belongs to no account, so no account's deletion takes it. It goes on its
// own, with its history and the receipts that name it, once it is final
// (sent or failed), no receipt naming it is live, and it was queued before
// the time this returns: as long before "now_ms" as an unverified account
// is kept (policy.unverified_ms), and never less than MAIL_CAP's day,
// which counts it, nor than the age up to which a notification about it
// is still recorded and suppresses its address (kNotificationMaxAgeMs).
std::int64_t NoAccountMailsBefore(const RetentionPolicy& policy,
                                  std::int64_t now_ms);

// Store::ApplyRetention applies a policy once, in one transaction. What it
// deletes stays counted: the engine adds the deleted jobs' figures to its
// metrics totals (Retire, totals.h), and the counts above to
// retention_accounts_deleted_total and retention_mail_bodies_deleted_total,
// in the same transaction.

}  // namespace reg

#endif  // FCGI_STORAGE_RETENTION_H_
