#include "events/webhook.h"

#include <algorithm>
#include <string>

#include "base/json_post.h"

namespace reg {
namespace {

// Why a transport failure is retried.
RetryReason ReasonFor(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return RetryReason::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return RetryReason::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return RetryReason::kTls;
    default:
      return RetryReason::kNetwork;
  }
}

}  // namespace

PostResult CurlWebhookSender::Post(std::string_view event_id,
                                   std::string_view body) {
  PostResult result;
  const std::int64_t ts = clock_->NowS();
  const std::string sig = signer_->Sign(ts, body);
  if (sig.empty()) {
    result.reply = "signing failed";
    result.reason = RetryReason::kNetwork;
    return result;
  }
  JsonPostResult r = PostJson(
      &curl_, url_, body,
      {"X-Event-Id: " + std::string(event_id),
       "X-Event-Timestamp: " + std::to_string(ts), "X-Event-Signature: " + sig},
      std::min(timeout_ms_, 5000L), timeout_ms_);
  if (r.rc != CURLE_OK) {
    result.reply = r.error;
    result.reason = ReasonFor(r.rc);
    return result;
  }
  result.reply = "HTTP " + std::to_string(r.status);
  result.delivered = r.status >= 200 && r.status <= 299;
  if (!result.delivered) result.reason = RetryReason::kStatus;
  return result;
}

}  // namespace reg
