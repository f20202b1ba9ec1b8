// Request: what a handler may read of one FastCGI request, copied out at
// once (libfcgi frees its params on FCGX_Finish_r).
#ifndef FCGI_HTTP_REQUEST_H_
#define FCGI_HTTP_REQUEST_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct FCGX_Request;

namespace reg {

// Request bodies above this are refused with 413 (nginx refuses them
// first, with client_max_body_size 16k).
constexpr std::size_t kMaxBodyBytes = 16 * 1024;

struct Request {
  std::string method;           // REQUEST_METHOD
  std::string path;             // DOCUMENT_URI: decoded path, no query
  std::string query;            // QUERY_STRING, still encoded
  std::string content_type;     // CONTENT_TYPE
  std::string accept;           // HTTP_ACCEPT
  std::string accept_language;  // HTTP_ACCEPT_LANGUAGE
  std::string host;             // REQUEST_HOST ($http_host), else HTTP_HOST
  std::string origin;           // HTTP_ORIGIN
  std::string sec_fetch_site;   // HTTP_SEC_FETCH_SITE
  std::string remote_addr;      // REMOTE_ADDR
  std::string cookie;           // HTTP_COOKIE
  // REGISTRAR_INTERNAL: a FastCGI parameter only nginx's internal
  // listener sets, to the key in DATA_DIR/internal.secret (a client
  // header arrives as HTTP_*, never as this; CheckInternal compares it).
  std::string internal_key;
  std::string job_timestamp;    // HTTP_X_JOB_TIMESTAMP
  std::string job_signature;    // HTTP_X_JOB_SIGNATURE
  std::string body;             // at most kMaxBodyBytes
  bool body_too_large = false;  // CONTENT_LENGTH above kMaxBodyBytes
  bool body_short = false;      // the stream ended before CONTENT_LENGTH
  // When the request thread took it (FCGX_Accept_r returned: the earliest
  // moment the worker knows of it); a timing floor counts from here. Unset
  // (time_point()) for a request not read from FastCGI.
  std::chrono::steady_clock::time_point arrived;

  // The body is JSON (by Content-Type) or Accept names application/json.
  bool WantsJson() const;
  // The value of "name" in the query string, percent-decoded; "" if absent.
  std::string QueryParam(const std::string& name) const;
  // The value of cookie "name" (the first one of that name), as sent; ""
  // if absent.
  std::string Cookie(std::string_view name) const;
};

// Builds a Request from named parameters and a body reader. "read" fills
// up to n bytes and returns how many (0 at the end). Never reads past
// CONTENT_LENGTH, nor at all when it is missing or unparsable.
Request BuildRequest(
    const std::function<const char*(const char*)>& param,
    const std::function<std::size_t(char*, std::size_t)>& read);

// BuildRequest over a libfcgi request.
Request ReadFcgiRequest(FCGX_Request* fcgx);

}  // namespace reg

#endif  // FCGI_HTTP_REQUEST_H_
