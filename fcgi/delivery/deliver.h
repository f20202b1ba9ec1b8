// Deliver: one claimed job through a Mailer, outcome recorded in the outbox.
#ifndef FCGI_DELIVERY_DELIVER_H_
#define FCGI_DELIVERY_DELIVER_H_

#include <memory>

#include "crypto/seal.h"
#include "mail/smtp.h"
#include "storage/outbox.h"
#include "storage/storage.h"

namespace reg {

// A thread's own Outbox, or null when it could not be opened (logged,
// naming "who").
std::unique_ptr<Outbox> OpenOutbox(Storage& storage, const char* who);

// Opens the sealed message, sends it and records sent / retry / failed.
// Logs the outcome (job id and reply; never the message). Returns the
// outcome, or the Status of a database failure (the lease then frees the
// job for another attempt).
Result<SendResult::Outcome> Deliver(const ClaimedJob& job, Outbox* outbox,
                                    Mailer* mailer, const Sealer& sealer);

}  // namespace reg

#endif  // FCGI_DELIVERY_DELIVER_H_
