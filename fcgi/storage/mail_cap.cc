#include "storage/mail_cap.h"

#include <algorithm>

#include "storage/totals.h"

namespace reg {

int MailCapDay(int mail_cap) {
  return mail_cap > 0 ? std::max(10, mail_cap) : 0;
}

bool MailCapCountsMailbox(const RegisterLimits& limits) {
  return limits.mail_cap > 0;
}

MailCapVerdict MailCapOf(const MailCounts& counts, const RegisterLimits& limits,
                         MailKind kind, bool resend) {
  const bool mailbox_full =
      MailCapCountsMailbox(limits) &&
      (counts.mailbox_hour >= limits.mail_cap ||
       (limits.mail_cap_day > 0 && counts.mailbox_day >= limits.mail_cap_day));
  const bool service_full = limits.mail_cap_total > 0 &&
                            counts.service_hour >= limits.mail_cap_total;
  MailCapVerdict verdict;
  if (!mailbox_full && !service_full) return verdict;
  verdict.capped = true;
  if (kind != MailKind::kNoAccount) {
    verdict.counter = CappedCounter(resend, /*cap_total=*/!mailbox_full);
  }
  return verdict;
}

HeldBack HeldBackBy(bool suppressed, const MailCapVerdict& cap) {
  if (suppressed) return {NotSent::kSuppressed, "mail_suppressed_total"};
  if (cap.capped) return {NotSent::kMailCap, cap.counter};
  return {};
}

}  // namespace reg
