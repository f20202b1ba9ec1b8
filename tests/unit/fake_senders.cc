#include "fake_senders.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace reg {

Answer FakeServer::Take(const std::string& to) {
  std::unique_lock<std::mutex> lock(mu_);
  seen_.push_back(to);
  errno = 0;
  nices_.push_back(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())));
  Answer answer = Answer::kAccept;
  if (!script_.empty()) {
    answer = script_.front();
    script_.pop_front();
  }
  if (answer != Answer::kHold) return answer;
  held_++;
  cv_.wait(lock, [this] { return released_; });
  held_--;
  return Answer::kAccept;
}

SendResult FakeMailer::Send(const std::string& rcpt, const std::string&,
                            const std::string&) {
  SendResult r;
  switch (server_->Take(rcpt)) {
    case Answer::kAccept:
    case Answer::kHold:
      r.outcome = SendResult::Outcome::kSent;
      r.reply = "250 2.0.0 Ok: queued";
      break;
    case Answer::k4xx:
      r.reply = "451 4.3.0 try again later";
      r.reason = RetryReason::k4xx;
      break;
    case Answer::k5xx:
      r.outcome = SendResult::Outcome::kPermanent;
      r.reply = "550 5.1.1 no such user";
      break;
    case Answer::kTimeout:
      r.reply = "timeout after 354: Operation timed out";
      r.reason = RetryReason::kTimeout;
      break;
  }
  return r;
}

PostResult FakeWebhook::Post(std::string_view event_id, std::string_view) {
  PostResult r;
  r.reason = RetryReason::kStatus;
  switch (server_->Take(std::string(event_id))) {
    case Answer::kAccept:
    case Answer::kHold:
      r.delivered = true;
      r.reply = "HTTP 204";
      break;
    case Answer::k4xx:
      r.reply = "HTTP 503";
      break;
    case Answer::k5xx:
      r.reply = "HTTP 500";
      break;
    case Answer::kTimeout:
      r.reply = "Operation timed out";
      r.reason = RetryReason::kTimeout;
      break;
  }
  return r;
}

SenderFactory FakeSenders(FakeServer* mail, FakeServer* hooks) {
  SenderFactory f;
  f.new_mailer = [mail]() -> std::unique_ptr<Mailer> {
    return std::make_unique<FakeMailer>(mail);
  };
  f.new_webhook = [hooks]() -> std::unique_ptr<WebhookSender> {
    if (hooks == nullptr) return nullptr;
    return std::make_unique<FakeWebhook>(hooks);
  };
  return f;
}

}  // namespace reg
