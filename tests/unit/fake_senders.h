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
  // The nice value of the thread that made each send, in order.
  std::vector<int> nices() const {
    std::lock_guard<std::mutex> lock(mu_);
    return nices_;
  }

  // For the fakes: records a send to "to" and gives its answer, after the
  // wait a kHold asks for (kHold itself is never returned).
  Answer Take(const std::string& to);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;  // released_ changed
  std::deque<Answer> script_;
  std::vector<std::string> seen_;
  std::vector<int> nices_;
  int held_ = 0;
  bool released_ = false;
};

class FakeMailer : public Mailer {
 public:
  explicit FakeMailer(FakeServer* server) : server_(server) {}
  SendResult Send(const std::string& rcpt, const std::string&,
                  const std::string&) override;

 private:
  FakeServer* server_;
};

class FakeWebhook : public WebhookSender {
 public:
  explicit FakeWebhook(FakeServer* server) : server_(server) {}
  PostResult Post(std::string_view event_id, std::string_view) override;

 private:
  FakeServer* server_;
};

// FakeMailers on "mail"; FakeWebhooks on "hooks", or none when it is null
// (as without WEBHOOK_URL). Both servers must outlive what it makes.
SenderFactory FakeSenders(FakeServer* mail, FakeServer* hooks);

}  // namespace reg

#endif  // TESTS_UNIT_FAKE_SENDERS_H_
