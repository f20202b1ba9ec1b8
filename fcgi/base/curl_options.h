// Checked libcurl set-up: options set one after another with the first
// failure kept and named, and slist appends that report running out of
// memory. What the SMTP mailer and the JSON poster both use.
#ifndef FCGI_BASE_CURL_OPTIONS_H_
#define FCGI_BASE_CURL_OPTIONS_H_

#include <curl/curl.h>

#include "base/curl_handles.h"
#include "base/status.h"

namespace reg {

// Not thread-safe (it works on one handle, which is one thread's).
//   CurlOptions opts(h);
//   opts.Set(CURLOPT_URL, url.c_str()).Set(CURLOPT_NOSIGNAL, 1L);
//   if (Status s = opts.status(); !s.ok()) ...
class CurlOptions {
 public:
  // "handle" must outlive this object.
  explicit CurlOptions(CURL* handle) : handle_(handle) {}

  // Sets "option" to "value" (of the type libcurl wants for it: long,
  // curl_off_t, a string, a pointer or a callback), unless an earlier Set
  // failed: after a failure nothing more is set.
  template <class T>
  CurlOptions& Set(CURLoption option, T value) {
    if (rc_ == CURLE_OK) {
      rc_ = curl_easy_setopt(handle_, option, value);
      if (rc_ != CURLE_OK) failed_ = option;
    }
    return *this;
  }

  // CURLE_OK, or the code of the first Set that failed.
  CURLcode code() const { return rc_; }
  // OK, or Internal naming the option and libcurl's reason:
  // "curl_easy_setopt(CURLOPT_URL): Out of memory".
  Status status() const;

 private:
  CURL* handle_;
  CURLcode rc_ = CURLE_OK;
  CURLoption failed_ = CURLOPT_LASTENTRY;
};

// Appends a copy of "text" to "*list", which is made when empty. Internal
// (naming no text: a header may hold a secret) when libcurl could not;
// "*list" is then unchanged.
Status AppendToSlist(CurlSlist* list, const char* text);

}  // namespace reg

#endif  // FCGI_BASE_CURL_OPTIONS_H_
