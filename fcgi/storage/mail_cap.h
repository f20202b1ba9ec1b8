// MAIL_CAP and MAIL_CAP_TOTAL: what every engine decides alike about them.
// MAIL_CAP counts every kind of mail to one mailbox (the verification
// mail, the "account exists" notice, the "no account uses this address"
// mail), an hour and a day back; MAIL_CAP_TOTAL the service's mails an
// hour back. An engine counts the outbox's mails with its own SQL
// (MailCounts) inside the transaction that would queue one; whether that
// one may go, and which counter a held-back one bumps, is decided here,
// once.
#ifndef FCGI_STORAGE_MAIL_CAP_H_
#define FCGI_STORAGE_MAIL_CAP_H_

#include <cstdint>

#include "storage/receipts.h"
#include "storage/registration.h"

namespace reg {

// The windows the caps count in, back from now.
constexpr std::int64_t kMailCapHourMs = 3600 * 1000LL;
constexpr std::int64_t kMailCapDayMs = 24 * kMailCapHourMs;

// The day cap that goes with MAIL_CAP = "mail_cap": 10 a day (the
// contract's), never fewer than the hour's; 0 (none) when MAIL_CAP is 0.
int MailCapDay(int mail_cap);

// The mails queued so far that a cap counts. An engine counts only what
// "limits" turns on (MailCapCountsMailbox, limits.mail_cap_total > 0).
struct MailCounts {
  std::int64_t mailbox_hour = 0;  // to the mailbox, in the last hour
  std::int64_t mailbox_day = 0;   // to the mailbox, in the last day
  std::int64_t service_hour = 0;  // to anyone, in the last hour
};

// True when "limits" caps a mailbox's mails (MAIL_CAP on: its hour's, and
// the day's of mail_cap_day unless that is 0).
bool MailCapCountsMailbox(const RegisterLimits& limits);

// Whether one more mail of "kind" (a resend's when "resend") may go, given
// "counts": capped or not, and when capped the counter it bumps (nullptr
// for none: a held-back "no account" mail is recorded by its receipt
// alone, since the metrics count registrations and resends to known
// addresses).
struct MailCapVerdict {
  bool capped = false;
  const char* counter = nullptr;
};
MailCapVerdict MailCapOf(const MailCounts& counts, const RegisterLimits& limits,
                         MailKind kind, bool resend);

// Whether a request's mail is held back, why (its receipt's not_sent), and
// the counter that records it: a suppressed address first
// (mail_suppressed_total), else "cap"'s verdict; NotSent::kNo when it
// goes. A held-back mail gets no job and keeps no code.
struct HeldBack {
  NotSent reason = NotSent::kNo;
  const char* counter = nullptr;
};
HeldBack HeldBackBy(bool suppressed, const MailCapVerdict& cap);

}  // namespace reg

#endif  // FCGI_STORAGE_MAIL_CAP_H_
