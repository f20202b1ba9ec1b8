// One signed JSON POST over a kept libcurl handle: what the job poster
// (to /internal/mail) and the events' sender (to WEBHOOK_URL) both do.
#ifndef FCGI_BASE_JSON_POST_H_
#define FCGI_BASE_JSON_POST_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/curl_handles.h"

namespace reg {

struct JsonPostResult {
  CURLcode rc = CURLE_OK;
  long status = 0;    // the HTTP status when rc is CURLE_OK
  std::string error;  // what went wrong when it is not
};

// POSTs "body" as application/json to "url" with "headers" ("Name: value"),
// on "*curl" (made when null, and dropped after a transport failure so the
// next post opens a fresh connection). http and https only, no proxy from
// the environment, no redirect followed; the answer's body is discarded.
JsonPostResult PostJson(CurlEasy* curl, const std::string& url,
                        std::string_view body,
                        const std::vector<std::string>& headers,
                        long connect_ms, long total_ms);

}  // namespace reg

#endif  // FCGI_BASE_JSON_POST_H_
