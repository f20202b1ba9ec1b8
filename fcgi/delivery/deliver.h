// Deliver: one claimed job through its channel (a Mailer for mail, a
// WebhookSender for an event), the outcome recorded in the outbox.
#ifndef FCGI_DELIVERY_DELIVER_H_
#define FCGI_DELIVERY_DELIVER_H_

#include <chrono>
#include <memory>

#include "crypto/seal.h"
#include "delivery/senders.h"
#include "mail/smtp.h"
#include "storage/outbox.h"
#include "storage/storage.h"

namespace reg {

// A thread's own Outbox, or null when it could not be opened (logged,
// naming "who").
std::unique_ptr<Outbox> OpenOutbox(Storage& storage, const char* who);

// Opens the sealed message (or event body), sends it and records sent /
// retry / failed. An event is never failed for good before its 48 hours:
// any status but 2xx is retried. Logs the outcome (job id and reply; never
// the message). Returns the outcome, or the Status of a database failure
// (the lease then frees the job for another attempt). While the database
// cannot be reached (kUnavailable), the recording is tried again "every"
// so often for up to "keep_trying" (the caller keeps the claim held
// meanwhile): a mail the server accepted during an outage is recorded as
// sent once the database is back, not sent again after its lease.
// "senders.mailer" must be set; "senders.webhook" may be null.
Result<SendResult::Outcome> Deliver(
    const ClaimedJob& job, Outbox* outbox, const Senders& senders,
    const Sealer& sealer, std::chrono::milliseconds keep_trying,
    std::chrono::milliseconds every = std::chrono::seconds(1));

}  // namespace reg

#endif  // FCGI_DELIVERY_DELIVER_H_
