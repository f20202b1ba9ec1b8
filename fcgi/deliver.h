// Deliver: one claimed job through a Mailer, outcome recorded in the outbox.
#ifndef FCGI_DELIVER_H_
#define FCGI_DELIVER_H_

#include "outbox.h"
#include "seal.h"
#include "smtp.h"

namespace reg {

// Opens the sealed message, sends it and records sent / retry / failed.
// Logs the outcome (job id and reply; never the message). Returns the
// outcome, or the Status of a database failure (the lease then frees the
// job for another attempt).
Result<SendResult::Outcome> Deliver(const ClaimedJob& job, Outbox* outbox,
                                    Mailer* mailer, const Sealer& sealer);

}  // namespace reg

#endif  // FCGI_DELIVER_H_
