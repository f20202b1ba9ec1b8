// MAIL_CAP and MAIL_CAP_TOTAL: what every engine decides alike about them.
// MAIL_CAP counts every kind of mail to one mailbox (the verification
// mail, the "account exists" notice, the "no account uses this address"
// mail), an hour and a day back: past it a mail is not sent. MAIL_CAP_TOTAL
// counts the mails to one recipient domain (MailDomain) an hour back: past
// it a mail is not dropped but delayed until that domain's hour has room,
// so that one catch-all domain can fill only its own hour. An engine reads
// the outbox with its own SQL (MailCounts) inside the transaction that
// would queue one; whether that one may go, when, and which counter it
// bumps, is decided here, once.
#ifndef FCGI_STORAGE_MAIL_CAP_H_
#define FCGI_STORAGE_MAIL_CAP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/receipts.h"
#include "storage/registration.h"

namespace reg {

// The windows the caps count in, back from now.
constexpr std::int64_t kMailCapHourMs = 3600 * 1000LL;
constexpr std::int64_t kMailCapDayMs = 24 * kMailCapHourMs;

// The day cap that goes with MAIL_CAP = "mail_cap": 10 a day (the
// contract's), never fewer than the hour's; 0 (none) when MAIL_CAP is 0.
int MailCapDay(int mail_cap);

// The recipient domain MAIL_CAP_TOTAL counts a mail in: the part of its
// mailbox (MailboxKey: lowercased, googlemail.com as gmail.com) after the
// last '@'. Every domain counts alone, a big provider's as a catch-all's,
// and a subdomain is a domain of its own.
std::string MailDomain(std::string_view mailbox);

// The mails queued so far that a cap counts. An engine counts only what
// "limits" turns on (MailCapCountsMailbox, limits.mail_cap_total > 0).
struct MailCounts {
  std::int64_t mailbox_hour = 0;  // to the mailbox, in the last hour
  std::int64_t mailbox_day = 0;   // to the mailbox, in the last day
  // Of the domain's mails the domain cap counts after an hour before now
  // (a delayed one at the time it was delayed to, maybe later than now),
  // the mail_cap_total-th newest: its time; 0 when there are fewer.
  std::int64_t domain_nth_newest_ms = 0;
};

// True when "limits" caps a mailbox's mails (MAIL_CAP on: its hour's, and
// the day's of mail_cap_day unless that is 0).
bool MailCapCountsMailbox(const RegisterLimits& limits);

// The counter a mail MAIL_CAP_TOTAL delayed bumps, whatever its kind.
inline constexpr char kDomainDelayedCounter[] = "mail_domain_delayed_total";

// Whether one more mail of "kind" (a resend's when "resend"), queued at
// "now_ms", may go, given "counts". Past MAIL_CAP it is capped, with the
// counter it bumps (nullptr for none: a held-back "no account" mail is
// recorded by its receipt alone, since the metrics count registrations
// and resends to known addresses). Else, past MAIL_CAP_TOTAL, it is
// delayed until the domain's hour has room: an hour after the domain's
// mail_cap_total-th newest mail (kDomainDelayedCounter).
struct MailCapVerdict {
  bool capped = false;
  std::int64_t delay_until_ms = 0;  // 0: not delayed
  const char* counter = nullptr;
};
MailCapVerdict MailCapOf(const MailCounts& counts, const RegisterLimits& limits,
                         MailKind kind, bool resend, std::int64_t now_ms);

// Whether a request's mail is held back, why (its receipt's not_sent), and
// the counter that records it: a suppressed address first
// (mail_suppressed_total), else "cap"'s verdict; NotSent::kNo when it
// goes, maybe delayed (delay_until_ms; its counter then records that). A
// held-back mail gets no job and keeps no code; a delayed one is queued,
// due at delay_until_ms, and the sweeper sends it then.
struct HeldBack {
  NotSent reason = NotSent::kNo;
  std::int64_t delay_until_ms = 0;
  const char* counter = nullptr;
};
HeldBack HeldBackBy(bool suppressed, const MailCapVerdict& cap);

}  // namespace reg

#endif  // FCGI_STORAGE_MAIL_CAP_H_
