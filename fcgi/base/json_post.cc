#include "base/json_post.h"

#include "base/curl_options.h"

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
  CurlSlist list;
  Status listed = AppendToSlist(&list, "Content-Type: application/json");
  if (listed.ok()) listed = AppendToSlist(&list, "Expect:");
  for (const std::string& header : headers) {
    if (listed.ok()) listed = AppendToSlist(&list, header.c_str());
  }
  if (!listed.ok()) {
    result.rc = CURLE_OUT_OF_MEMORY;
    result.error = listed.message();
    return result;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  CurlOptions opts(h);
  opts.Set(CURLOPT_URL, url.c_str())
      .Set(CURLOPT_PROXY, "")  // never an environment's proxy
      .Set(CURLOPT_PROTOCOLS_STR, "http,https")
      .Set(CURLOPT_FOLLOWLOCATION, 0L)
      .Set(CURLOPT_POSTFIELDS, body.data())
      .Set(CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()))
      .Set(CURLOPT_HTTPHEADER, list.get())
      .Set(CURLOPT_WRITEFUNCTION, Discard)
      .Set(CURLOPT_CONNECTTIMEOUT_MS, connect_ms)
      .Set(CURLOPT_TIMEOUT_MS, total_ms)
      .Set(CURLOPT_NOSIGNAL, 1L)
      .Set(CURLOPT_ERRORBUFFER, errbuf);
  if (opts.code() == CURLE_OK) {
    result.rc = curl_easy_perform(h);
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status) !=
        CURLE_OK) {
      result.status = 0;
    }
    // Nothing of this call's stack stays in the kept handle.
    CurlOptions clear(h);
    clear.Set(CURLOPT_HTTPHEADER, nullptr)
        .Set(CURLOPT_ERRORBUFFER, nullptr)
        .Set(CURLOPT_POSTFIELDS, nullptr);
    if (clear.code() != CURLE_OK) curl->reset();  // then it is not kept
    if (result.rc != CURLE_OK) {
      result.error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(result.rc);
    }
  } else {
    result.rc = opts.code();
    result.error = opts.status().message();
  }
  // A handle that failed, or whose set-up failed half-way, is not kept.
  if (result.rc != CURLE_OK) curl->reset();
  return result;
}

}  // namespace reg
