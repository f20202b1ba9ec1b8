// Owners of libcurl handles.
#ifndef FCGI_BASE_CURL_HANDLES_H_
#define FCGI_BASE_CURL_HANDLES_H_

#include <curl/curl.h>

#include <memory>

#include "base/handles.h"

namespace reg {

using CurlEasy = std::unique_ptr<CURL, Deleter<curl_easy_cleanup>>;
using CurlSlist = std::unique_ptr<curl_slist, Deleter<curl_slist_free_all>>;

}  // namespace reg

#endif  // FCGI_BASE_CURL_HANDLES_H_
