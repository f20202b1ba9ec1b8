#include "storage/mail_cap.h"

#include <algorithm>

#include "storage/totals.h"

namespace reg {

int MailCapDay(int mail_cap) {
  return mail_cap > 0 ? std::max(10, mail_cap) : 0;
}

std::string MailDomain(std::string_view mailbox) {
  const std::size_t at = mailbox.rfind('@');
  return std::string(at == std::string_view::npos ? mailbox
                                                  : mailbox.substr(at + 1));
}

bool MailCapCountsMailbox(const RegisterLimits& limits) {
  return limits.mail_cap > 0;
}

MailCapVerdict MailCapOf(const MailCounts& counts, const RegisterLimits& limits,
                         MailKind kind, bool resend, std::int64_t now_ms) {
  const bool mailbox_full =
      MailCapCountsMailbox(limits) &&
      (counts.mailbox_hour >= limits.mail_cap ||
       (limits.mail_cap_day > 0 && counts.mailbox_day >= limits.mail_cap_day));
  MailCapVerdict verdict;
  if (mailbox_full) {
    verdict.capped = true;
    if (kind != MailKind::kNoAccount) verdict.counter = CappedCounter(resend);
    return verdict;
  }
  // The domain's hour holds mail_cap_total mails after its nth newest:
  // this one takes the place that one leaves an hour after it.
  if (limits.mail_cap_total > 0 && counts.domain_nth_newest_ms > 0) {
    const std::int64_t room_ms = counts.domain_nth_newest_ms + kMailCapHourMs;
    if (room_ms > now_ms) {
      verdict.delay_until_ms = room_ms;
      verdict.counter = kDomainDelayedCounter;
    }
  }
  return verdict;
}

HeldBack HeldBackBy(bool suppressed, const MailCapVerdict& cap) {
  if (suppressed) return {NotSent::kSuppressed, 0, "mail_suppressed_total"};
  if (cap.capped) return {NotSent::kMailCap, 0, cap.counter};
  return {NotSent::kNo, cap.delay_until_ms, cap.counter};
}

}  // namespace reg
