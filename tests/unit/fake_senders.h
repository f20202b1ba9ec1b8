// Test doubles of the delivery senders (delivery/senders.h), no network: a
// FakeServer plays an SMTP server or a webhook receiver, scripted send by
// send, and FakeSenders makes the FakeMailers and FakeWebhooks that talk
// to it, as CurlSenders makes the real ones.
#ifndef TESTS_UNIT_FAKE_SENDERS_H_
#define TESTS_UNIT_FAKE_SENDERS_H_

#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/senders.h"

namespace reg {

// What one send meets.
enum class Answer {
  kAccept,   // mail: 250; event: HTTP 204
  k4xx,      // mail: 451 (retried); event: HTTP 503 (retried)
  k5xx,      // mail: 550 (failed for good); event: HTTP 500 (retried)
  kTimeout,  // no answer in time (retried)
  kHold,     // waits until Release(), then accepted
};

// Thread-safe. Release() it before the threads that send to it are joined.
class FakeServer {
 public:
  // The next sends meet "answers" in order; once they are used up, kAccept.
  void Script(std::initializer_list<Answer> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.insert(script_.end(), answers);
  }
  // Lets every held send through, and every later kHold at once.
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int sends() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(seen_.size());
  }
  // Sends waiting in kHold now.
  int held() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_;
  }
  // Each send's recipient (mail) or event id, in order.
  std::vector<std::string> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  // For the fakes: records a send to "to" and gives its answer, after the
  // wait a kHold asks for (kHold itself is never returned).
  Answer Take(const std::string& to) {
    std::unique_lock<std::mutex> lock(mu_);
    seen_.push_back(to);
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

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;  // released_ changed
  std::deque<Answer> script_;
  std::vector<std::string> seen_;
  int held_ = 0;
  bool released_ = false;
};

class FakeMailer : public Mailer {
 public:
  explicit FakeMailer(FakeServer* server) : server_(server) {}
  SendResult Send(const std::string& rcpt, const std::string&) override {
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

 private:
  FakeServer* server_;
};

class FakeWebhook : public WebhookSender {
 public:
  explicit FakeWebhook(FakeServer* server) : server_(server) {}
  PostResult Post(std::string_view event_id, std::string_view) override {
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

 private:
  FakeServer* server_;
};

// FakeMailers on "mail"; FakeWebhooks on "hooks", or none when it is null
// (as without WEBHOOK_URL). Both servers must outlive what it makes.
inline SenderFactory FakeSenders(FakeServer* mail, FakeServer* hooks) {
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

#endif  // TESTS_UNIT_FAKE_SENDERS_H_
