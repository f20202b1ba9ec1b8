#include "delivery/job_poster.h"

namespace reg {
namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

Status JobPoster::Post(std::int64_t id) {
  if (!curl_) curl_.reset(curl_easy_init());
  CURL* h = curl_.get();
  if (h == nullptr) return Status::Unavailable("curl_easy_init failed");
  const std::string body = "{\"job_id\":" + std::to_string(id) + "}";
  const std::int64_t ts = clock_->NowS();
  const std::string sig = signer_->Sign(ts, body);
  if (sig.empty()) return Status::Internal("sign job");
  CurlSlist headers(
      curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_slist_append(headers.get(),
                    ("X-Job-Timestamp: " + std::to_string(ts)).c_str());
  curl_slist_append(headers.get(), ("X-Job-Signature: " + sig).c_str());
  curl_slist_append(headers.get(), "Expect:");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // never an environment's proxy
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    std::string err = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    curl_.reset();
    return Status::Unavailable("post job " + std::to_string(id) + ": " + err);
  }
  if (code != 200 && code != 202) {
    return Status::Unavailable("post job " + std::to_string(id) + ": HTTP " +
                               std::to_string(code));
  }
  return Status();
}

}  // namespace reg
