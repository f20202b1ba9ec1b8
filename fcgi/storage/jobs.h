// Jobs: what every engine decides alike about outbox jobs: the jobs a
// Store's writes queue, built from what the caller prepared (store.h) and
// what the transaction decided, and when a failed attempt is tried again.
#ifndef FCGI_STORAGE_JOBS_H_
#define FCGI_STORAGE_JOBS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/status.h"
#include "storage/outbox.h"
#include "storage/receipts.h"
#include "storage/store.h"

namespace reg {

// The mail a registration ("resend" false) or a resend queues for account
// "user_id" (0 for the "no account" mail) whose state decided "kind": that
// mail of "mails", to the address as typed, counted in its mailbox and
// its domain, due for a sweep after the grace of "limits"; or, when
// MAIL_CAP_TOTAL delayed it ("delay_until_ms", HeldBack's; 0 for none),
// due then and counted in its domain's hour then.
NewJob RegistrationJob(const NewRegistration& reg, std::int64_t user_id,
                       MailKind kind, bool resend,
                       const RegistrationMails& mails,
                       const RegisterLimits& limits, std::int64_t now_ms,
                       std::int64_t delay_until_ms);

// The receipt of a registration ("resend" false) or a resend, written in
// the transaction of "job_id" (0: no mail, for "not_sent"): valid for the
// token lifetime of "limits". "token_hash": the token the request
// minted ("" for none). A resend's receipt keeps it too, to name the
// registration its code goes with (Store::ResendCodeReceipt); it proves
// nothing: every query that proves a registration reads own receipts only.
NewReceipt ReceiptFor(const NewRegistration& reg, bool resend,
                      std::int64_t job_id, NotSent not_sent,
                      const std::string& token_hash,
                      const RegisterLimits& limits, std::int64_t now_ms);

// The account.verified event of "event", queued when account "user_id" is
// verified. kInternal when "event" was prepared for another account.
Result<NewJob> VerifiedEventJob(const PreparedEvent& event,
                                std::int64_t user_id, std::int64_t now_ms);

// When the job of claim "job", whose attempt failed at "now_ms", is tried
// again: after RetryDelayMs, but no later than retry_for_ms after it was
// queued (the last attempt falls on that time, not past it). nullopt once
// that time has come: the job fails.
std::optional<std::int64_t> NextAttemptMs(const OutboxPolicy& policy,
                                          const ClaimedJob& job,
                                          std::int64_t now_ms);

// Puts jobs just claimed in id order (Outbox::ClaimDue's promise).
void SortById(std::vector<ClaimedJob>* jobs);

}  // namespace reg

#endif  // FCGI_STORAGE_JOBS_H_
