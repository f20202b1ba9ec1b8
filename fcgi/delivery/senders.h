// Senders: what a delivery thread sends jobs with, a Mailer for mail and a
// WebhookSender for events. Each thread makes its own through the
// SenderFactory the JobPool and the Sweeper are given at start: main.cc
// passes CurlSenders, the unit tests a fake (tests/unit/fake_senders.h).
#ifndef FCGI_DELIVERY_SENDERS_H_
#define FCGI_DELIVERY_SENDERS_H_

#include <functional>
#include <memory>

#include "base/clock.h"
#include "base/config.h"
#include "crypto/bounce_tag.h"
#include "crypto/job_signer.h"
#include "events/webhook.h"
#include "mail/smtp.h"
#include "storage/outbox.h"

namespace reg {

// The envelope sender of a job's mail: BOUNCE_ADDRESS with the job's
// bounce tag, or "" (MAIL_FROM's address). Thread-safe.
using EnvelopeSender = std::function<std::string(const ClaimedJob&)>;

// One thread's senders, borrowed for a Deliver. "webhook" is null without
// WEBHOOK_URL: an event then waits (retried) until one is configured.
// "envelope_sender" null or empty: MAIL_FROM's address.
struct Senders {
  Mailer* mailer = nullptr;
  WebhookSender* webhook = nullptr;
  const EnvelopeSender* envelope_sender = nullptr;
};

// Makes a thread's own senders. Both functions are called from several
// threads at once, so they must be thread-safe; what they return belongs
// to the calling thread.
struct SenderFactory {
  // A new Mailer; never null.
  std::function<std::unique_ptr<Mailer>()> new_mailer;
  // A new WebhookSender, or null when events cannot be posted (no
  // WEBHOOK_URL).
  std::function<std::unique_ptr<WebhookSender>()> new_webhook;
  // Shared by every thread (see EnvelopeSender); empty: MAIL_FROM's.
  EnvelopeSender envelope_sender;
};

// libcurl's senders: a CurlSmtpMailer on "config", and a CurlWebhookSender
// to WEBHOOK_URL signed with "event_signer" (webhook.secret), none when
// either is missing. "config", "clock" and "event_signer" must outlive the
// factory and all it makes.
SenderFactory CurlSenders(const Config& config, const Clock& clock,
                          const JobSigner* event_signer);

// The envelope sender for BOUNCE_ADDRESS: that address with each job's
// tag (crypto/bounce_tag.h); empty (MAIL_FROM's address) without it.
// "config" and "tags" must outlive what it returns.
EnvelopeSender BounceSender(const Config& config, const BounceTagger& tags);

}  // namespace reg

#endif  // FCGI_DELIVERY_SENDERS_H_
