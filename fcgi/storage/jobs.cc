#include "storage/jobs.h"

#include <algorithm>

#include "storage/mail_cap.h"

namespace reg {

NewJob RegistrationJob(const NewRegistration& reg, std::int64_t user_id,
                       MailKind kind, bool resend,
                       const RegistrationMails& mails,
                       const RegisterLimits& limits, std::int64_t now_ms,
                       std::int64_t delay_until_ms) {
  const PreparedJob& mail = kind == MailKind::kVerify   ? mails.verify
                            : kind == MailKind::kExists ? mails.exists
                                                        : mails.no_account;
  NewJob job;
  job.user_id = user_id;
  job.kind = kind == MailKind::kVerify   ? "verify"
             : kind == MailKind::kExists ? "exists"
                                         : "no_account";
  job.cause = resend ? "resend" : "register";
  job.rcpt = reg.email;
  job.mailbox = reg.mailbox;
  job.domain = MailDomain(reg.mailbox);
  job.message_id = mail.message_id;
  job.sealed = mail.sealed;
  job.created_ms = now_ms;
  job.due_ms = now_ms + limits.sweep_grace_ms;
  job.cap_ms = now_ms;
  if (delay_until_ms > now_ms) job.due_ms = job.cap_ms = delay_until_ms;
  return job;
}

NewReceipt ReceiptFor(const NewRegistration& reg, bool resend,
                      std::int64_t job_id, NotSent not_sent,
                      const std::string& token_hash,
                      const RegisterLimits& limits, std::int64_t now_ms) {
  NewReceipt r;
  r.hash = reg.receipt_hash;
  r.own = !resend;
  r.job_id = job_id;
  r.not_sent = not_sent;
  r.mailbox = reg.mailbox;
  r.token_hash = token_hash;
  r.created_ms = now_ms;
  r.expires_ms = now_ms + limits.token_ttl_ms;
  return r;
}

Result<NewJob> VerifiedEventJob(const PreparedEvent& event,
                                std::int64_t user_id, std::int64_t now_ms) {
  if (event.account_id != user_id) {
    return Status::Internal("event prepared for account " +
                            std::to_string(event.account_id) + ", not " +
                            std::to_string(user_id));
  }
  NewJob job;
  job.user_id = user_id;
  job.channel = Channel::kWebhook;
  job.kind = "account.verified";
  job.cause = "activate";
  job.message_id = event.job.message_id;
  job.sealed = event.job.sealed;
  job.created_ms = now_ms;
  job.due_ms = now_ms + event.sweep_grace_ms;
  return job;
}

std::optional<std::int64_t> NextAttemptMs(const OutboxPolicy& policy,
                                          const ClaimedJob& job,
                                          std::int64_t now_ms) {
  const std::int64_t give_up_ms = job.created_ms + policy.retry_for_ms;
  if (now_ms >= give_up_ms) return std::nullopt;
  return std::min(now_ms + RetryDelayMs(policy, job.attempts), give_up_ms);
}

void SortById(std::vector<ClaimedJob>* jobs) {
  std::sort(
      jobs->begin(), jobs->end(),
      [](const ClaimedJob& a, const ClaimedJob& b) { return a.id < b.id; });
}

}  // namespace reg
