#include "delivery/deliver.h"

#include <unistd.h>

#include "base/log.h"

namespace reg {

OutboxPolicy OutboxPolicyFor(const Config& config) {
  OutboxPolicy p;
  p.lease_ms = config.lease_s * 1000LL;
  p.retry_ms = config.retry_s * 1000LL;
  p.retry_for_ms = config.retry_for_s * 1000LL;
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  p.claimant = std::to_string(getpid()) + "@" + host;
  return p;
}

ThreadOutbox OpenOutbox(const Config& config, const Clock& clock,
                        const char* who) {
  ThreadOutbox t;
  Result<std::unique_ptr<Database>> db =
      Database::Open(DatabasePath(config), true, config.sqlite_sync_full);
  if (!db.ok()) {
    Log("%s: %s", who, db.status().ToString().c_str());
    return t;
  }
  t.db = std::move(db).value();
  t.outbox =
      std::make_unique<Outbox>(t.db.get(), &clock, OutboxPolicyFor(config));
  return t;
}

Result<SendResult::Outcome> Deliver(const ClaimedJob& job, Outbox* outbox,
                                    Mailer* mailer, const Sealer& sealer) {
  Result<std::string> message = sealer.Open(job.sealed);
  if (!message.ok()) {
    // Sealed under another secret: no attempt can ever succeed.
    Status s = outbox->MarkFailed(job, message.status().ToString());
    Log("job %lld: %s", static_cast<long long>(job.id),
        message.status().ToString().c_str());
    if (!s.ok()) return s;
    return SendResult::Outcome::kPermanent;
  }
  SendResult r = mailer->Send(job.rcpt, message.value());
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
