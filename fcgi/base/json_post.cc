#include "base/json_post.h"

namespace reg {
namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

JsonPostResult PostJson(CurlEasy* curl, const std::string& url,
                        std::string_view body,
                        const std::vector<std::string>& headers,
                        long connect_ms, long total_ms) {
  JsonPostResult result;
  if (!*curl) curl->reset(curl_easy_init());
  CURL* h = curl->get();
  if (h == nullptr) {
    result.rc = CURLE_FAILED_INIT;
    result.error = "curl_easy_init failed";
    return result;
  }
  CurlSlist list(curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_slist_append(list.get(), "Expect:");
  for (const std::string& header : headers) {
    curl_slist_append(list.get(), header.c_str());
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // never an environment's proxy
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  result.rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
  // Nothing of this call's stack stays in the kept handle.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
  if (result.rc != CURLE_OK) {
    result.error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(result.rc);
    curl->reset();
  }
  return result;
}

}  // namespace reg
