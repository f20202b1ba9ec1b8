// WebhookSender: posts one event to the site's app; CurlWebhookSender does
// it over libcurl to WEBHOOK_URL, signed with webhook.secret.
#ifndef FCGI_EVENTS_WEBHOOK_H_
#define FCGI_EVENTS_WEBHOOK_H_

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/curl_handles.h"
#include "base/retry_reason.h"
#include "crypto/job_signer.h"

namespace reg {

// The outcome of one attempt. Any 2xx delivers; every other status, no
// connection or no answer within the timeout is retried (an event is never
// refused for good: the receiver may be fixed).
struct PostResult {
  bool delivered = false;
  std::string reply;  // "HTTP 204", or what went wrong
  // When not delivered: kConnect, kTimeout, kStatus, kTls or kNetwork.
  RetryReason reason = RetryReason::kNetwork;
};

// One WebhookSender per thread; not thread-safe.
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  // One attempt at delivering the event "event_id" whose JSON is "body";
  // the result says whether it arrived, and why not.
  virtual PostResult Post(std::string_view event_id, std::string_view body) = 0;
};

// Keeps its connection to the receiver between posts.
class CurlWebhookSender : public WebhookSender {
 public:
  // "signer" holds the webhook secret (not the job secret); it and "clock"
  // must outlive the sender.
  CurlWebhookSender(std::string url, const JobSigner* signer,
                    const Clock* clock, long timeout_ms = 10000)
      : url_(std::move(url)),
        signer_(signer),
        clock_(clock),
        timeout_ms_(timeout_ms) {}

  // POSTs "body" as application/json with X-Event-Id, X-Event-Timestamp
  // (now, Unix seconds) and X-Event-Signature: v1=<hex HMAC-SHA256 of
  // "<timestamp>.<body>">. Redirects are not followed.
  PostResult Post(std::string_view event_id, std::string_view body) override;

 private:
  std::string url_;
  const JobSigner* signer_;
  const Clock* clock_;
  long timeout_ms_;
  CurlEasy curl_;
};

}  // namespace reg

#endif  // FCGI_EVENTS_WEBHOOK_H_
