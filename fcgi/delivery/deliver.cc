#include "delivery/deliver.h"

#include <thread>

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

namespace {

// An event's attempt, as the outcome of a send.
SendResult PostEvent(const ClaimedJob& job, const std::string& body,
                     WebhookSender* webhook) {
  SendResult r;
  r.outcome = SendResult::Outcome::kRetry;
  if (webhook == nullptr) {
    r.reply = "WEBHOOK_URL is not set";
    r.reason = RetryReason::kConfig;
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
                                    const Sealer& sealer,
                                    std::chrono::milliseconds keep_trying,
                                    std::chrono::milliseconds every) {
  Result<std::string> message = sealer.Open(job.sealed);
  const std::string sender =
      senders.envelope_sender != nullptr && *senders.envelope_sender
          ? (*senders.envelope_sender)(job)
          : std::string();
  SendResult r;
  if (!message.ok()) {
    // Sealed under another secret: no attempt can ever succeed.
    Log("job %lld: %s", static_cast<long long>(job.id),
        message.status().ToString().c_str());
    r.outcome = SendResult::Outcome::kPermanent;
    r.reply = message.status().ToString();
  } else {
    r = job.channel == Channel::kWebhook
            ? PostEvent(job, message.value(), senders.webhook)
            : senders.mailer->Send(job.rcpt, message.value(), sender);
    if (r.outcome == SendResult::Outcome::kRetry) {
      Log("job %lld: attempt %d: %s (%s), will retry",
          static_cast<long long>(job.id), job.attempts, r.reply.c_str(),
          RetryReasonName(r.reason));
    } else if (r.outcome == SendResult::Outcome::kPermanent) {
      Log("job %lld: refused for good: %s", static_cast<long long>(job.id),
          r.reply.c_str());
    }
  }
  // Each outcome is recorded against this claim only (id, attempts), so a
  // try whose COMMIT went through unseen makes the next one a no-op.
  const auto record = [&] {
    switch (r.outcome) {
      case SendResult::Outcome::kSent:
        return outbox->MarkSent(job, r.reply);
      case SendResult::Outcome::kRetry:
        return outbox->MarkRetry(job, r.reply, r.reason);
      case SendResult::Outcome::kPermanent:
        break;
    }
    // A refused recipient may suppress its address (storage/bounces.h).
    if (r.rcpt_refused) return outbox->MarkRefused(job, r.reply);
    return outbox->MarkFailed(job, r.reply);
  };
  const auto give_up = std::chrono::steady_clock::now() + keep_trying;
  Status s = record();
  for (bool logged = false; s.code() == Code::kUnavailable &&
                            std::chrono::steady_clock::now() + every <= give_up;
       s = record()) {
    if (!logged) {
      Log("job %lld: recording the outcome: %s; trying again every %lld ms",
          static_cast<long long>(job.id), s.ToString().c_str(),
          static_cast<long long>(every.count()));
      logged = true;
    }
    std::this_thread::sleep_for(every);
  }
  if (!s.ok()) {
    Log("job %lld: recording the outcome failed: %s",
        static_cast<long long>(job.id), s.ToString().c_str());
    return s;
  }
  return r.outcome;
}

}  // namespace reg
