// Deliver: one claimed job through its channel (a Mailer for mail, a
// WebhookSender for an event), the outcome recorded in the outbox.
#ifndef FCGI_DELIVERY_DELIVER_H_
#define FCGI_DELIVERY_DELIVER_H_

#include <memory>

#include "base/clock.h"
#include "base/config.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "events/webhook.h"
#include "mail/smtp.h"
#include "storage/outbox.h"
#include "storage/storage.h"

namespace reg {

// A thread's own Outbox, or null when it could not be opened (logged,
// naming "who").
std::unique_ptr<Outbox> OpenOutbox(Storage& storage, const char* who);

// What one thread sends jobs with. "webhook" is null without WEBHOOK_URL:
// an event then waits (retried) until one is configured.
struct Senders {
  Mailer* mailer = nullptr;
  WebhookSender* webhook = nullptr;
};

// The thread's sender of events: null without WEBHOOK_URL or "signer"
// (which holds webhook.secret).
std::unique_ptr<WebhookSender> NewWebhookSender(const Config& config,
                                                const Clock& clock,
                                                const JobSigner* signer);

// Opens the sealed message (or event body), sends it and records sent /
// retry / failed. An event is never failed for good before its 48 hours:
// any status but 2xx is retried. Logs the outcome (job id and reply; never
// the message). Returns the outcome, or the Status of a database failure
// (the lease then frees the job for another attempt).
Result<SendResult::Outcome> Deliver(const ClaimedJob& job, Outbox* outbox,
                                    const Senders& senders,
                                    const Sealer& sealer);

}  // namespace reg

#endif  // FCGI_DELIVERY_DELIVER_H_
