// Jobs: the outbox jobs a Store's writes queue, built the same way by every
// engine from what the caller prepared (store.h) and what the transaction
// decided.
#ifndef FCGI_STORAGE_JOBS_H_
#define FCGI_STORAGE_JOBS_H_

#include <cstdint>

#include "base/status.h"
#include "storage/outbox.h"
#include "storage/store.h"

namespace reg {

// The mail a registration ("resend" false) or a resend queues for account
// "user_id" whose state decided "kind": that mail of "mails", to the
// address as typed, counted in its mailbox, due for a sweep after the
// grace of "limits".
NewJob RegistrationJob(const NewRegistration& reg, std::int64_t user_id,
                       MailKind kind, bool resend,
                       const RegistrationMails& mails,
                       const RegisterLimits& limits, std::int64_t now_ms);

// The account.verified event of "event", queued when account "user_id" is
// verified. kInternal when "event" was prepared for another account.
Result<NewJob> VerifiedEventJob(const PreparedEvent& event,
                                std::int64_t user_id, std::int64_t now_ms);

}  // namespace reg

#endif  // FCGI_STORAGE_JOBS_H_
