#include "events/webhook.h"

#include <algorithm>
#include <string>

namespace reg {
namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// The retry metric's label for a transport failure.
const char* ReasonFor(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return "connect";
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return "tls";
    default:
      return "network";
  }
}

}  // namespace

PostResult WebhookSender::Post(std::string_view event_id,
                               std::string_view body) {
  PostResult result;
  if (!curl_) curl_.reset(curl_easy_init());
  CURL* h = curl_.get();
  if (h == nullptr) {
    result.reply = "curl_easy_init failed";
    result.reason = "network";
    return result;
  }
  const std::int64_t ts = clock_->NowS();
  const std::string sig = signer_->Sign(ts, body);
  if (sig.empty()) {
    result.reply = "signing failed";
    result.reason = "network";
    return result;
  }
  CurlSlist headers(
      curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_slist_append(headers.get(),
                    ("X-Event-Id: " + std::string(event_id)).c_str());
  curl_slist_append(headers.get(),
                    ("X-Event-Timestamp: " + std::to_string(ts)).c_str());
  curl_slist_append(headers.get(), ("X-Event-Signature: " + sig).c_str());
  curl_slist_append(headers.get(), "Expect:");
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string payload(body);
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // never an environment's proxy
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms_, 5000L));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
  if (rc != CURLE_OK) {
    result.reply = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    result.reason = ReasonFor(rc);
    curl_.reset();  // a fresh connection next time
    return result;
  }
  result.reply = "HTTP " + std::to_string(code);
  result.delivered = code >= 200 && code <= 299;
  if (!result.delivered) result.reason = "status";
  return result;
}

}  // namespace reg
