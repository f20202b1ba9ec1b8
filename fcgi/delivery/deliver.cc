#include "delivery/deliver.h"

#include "base/log.h"

namespace reg {

std::unique_ptr<Outbox> OpenOutbox(Storage& storage, const char* who) {
  Result<std::unique_ptr<Outbox>> outbox = storage.NewOutbox();
  if (!outbox.ok()) {
    Log("%s: %s", who, outbox.status().ToString().c_str());
    return nullptr;
  }
  return std::move(outbox).value();
}

std::unique_ptr<WebhookSender> NewWebhookSender(const Config& config,
                                                const Clock& clock,
                                                const JobSigner* signer) {
  if (config.webhook_url.empty() || signer == nullptr) return nullptr;
  return std::make_unique<WebhookSender>(config.webhook_url, signer, &clock);
}

namespace {

// An event's attempt, as the outcome of a send.
SendResult PostEvent(const ClaimedJob& job, const std::string& body,
                     WebhookSender* webhook) {
  SendResult r;
  r.outcome = SendResult::Outcome::kRetry;
  if (webhook == nullptr) {
    r.reply = "WEBHOOK_URL is not set";
    r.reason = "config";
    return r;
  }
  PostResult posted = webhook->Post(job.message_id, body);
  r.reply = posted.reply;
  r.reason = posted.reason;
  if (posted.delivered) r.outcome = SendResult::Outcome::kSent;
  return r;
}

}  // namespace

Result<SendResult::Outcome> Deliver(const ClaimedJob& job, Outbox* outbox,
                                    const Senders& senders,
                                    const Sealer& sealer) {
  Result<std::string> message = sealer.Open(job.sealed);
  if (!message.ok()) {
    // Sealed under another secret: no attempt can ever succeed.
    Status s = outbox->MarkFailed(job, message.status().ToString());
    Log("job %lld: %s", static_cast<long long>(job.id),
        message.status().ToString().c_str());
    if (!s.ok()) return s;
    return SendResult::Outcome::kPermanent;
  }
  SendResult r = job.channel == Channel::kWebhook
                     ? PostEvent(job, message.value(), senders.webhook)
                     : senders.mailer->Send(job.rcpt, message.value());
  Status s;
  switch (r.outcome) {
    case SendResult::Outcome::kSent:
      s = outbox->MarkSent(job, r.reply);
      break;
    case SendResult::Outcome::kRetry:
      Log("job %lld: attempt %d: %s (%s), will retry",
          static_cast<long long>(job.id), job.attempts, r.reply.c_str(),
          r.reason.c_str());
      s = outbox->MarkRetry(job, r.reply, r.reason);
      break;
    case SendResult::Outcome::kPermanent:
      Log("job %lld: refused for good: %s", static_cast<long long>(job.id),
          r.reply.c_str());
      s = outbox->MarkFailed(job, r.reply);
      break;
  }
  if (!s.ok()) {
    Log("job %lld: recording the outcome failed: %s",
        static_cast<long long>(job.id), s.ToString().c_str());
    return s;
  }
  return r.outcome;
}

}  // namespace reg
