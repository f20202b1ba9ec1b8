#include "delivery/senders.h"

namespace reg {

SenderFactory CurlSenders(const Config& config, const Clock& clock,
                          const JobSigner* event_signer) {
  SenderFactory factory;
  factory.new_mailer = [&config]() -> std::unique_ptr<Mailer> {
    return std::make_unique<CurlSmtpMailer>(config);
  };
  factory.new_webhook = [&config, &clock,
                         event_signer]() -> std::unique_ptr<WebhookSender> {
    if (config.webhook_url.empty() || event_signer == nullptr) return nullptr;
    return std::make_unique<CurlWebhookSender>(config.webhook_url, event_signer,
                                               &clock);
  };
  return factory;
}

EnvelopeSender BounceSender(const Config& config, const BounceTagger& tags) {
  if (config.bounce_address.empty()) return EnvelopeSender();
  return [&config, &tags](const ClaimedJob& job) {
    return tags.Sender(config.bounce_address, job.id, job.rcpt, job.created_ms);
  };
}

}  // namespace reg
