// Deliver: one claimed job through a Mailer, outcome recorded in the outbox.
#ifndef FCGI_DELIVERY_DELIVER_H_
#define FCGI_DELIVERY_DELIVER_H_

#include <memory>

#include "base/clock.h"
#include "base/config.h"
#include "crypto/seal.h"
#include "mail/smtp.h"
#include "storage/db.h"
#include "storage/outbox.h"

namespace reg {

// The outbox's lease and retry schedule from the settings; the claimant is
// this process ("pid@host").
OutboxPolicy OutboxPolicyFor(const Config& config);

// A thread's own connection and outbox; outbox is null when the database
// could not be opened (logged, naming "who").
struct ThreadOutbox {
  std::unique_ptr<Database> db;
  std::unique_ptr<Outbox> outbox;
};
ThreadOutbox OpenOutbox(const Config& config, const Clock& clock,
                        const char* who);

// Opens the sealed message, sends it and records sent / retry / failed.
// Logs the outcome (job id and reply; never the message). Returns the
// outcome, or the Status of a database failure (the lease then frees the
// job for another attempt).
Result<SendResult::Outcome> Deliver(const ClaimedJob& job, Outbox* outbox,
                                    Mailer* mailer, const Sealer& sealer);

}  // namespace reg

#endif  // FCGI_DELIVERY_DELIVER_H_
