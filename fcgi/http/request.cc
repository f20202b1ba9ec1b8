#include "http/request.h"

#include <fcgiapp.h>

#include <cerrno>
#include <cstdlib>

#include "http/form.h"

namespace reg {
namespace {

std::string Param(const std::function<const char*(const char*)>& param,
                  const char* name) {
  const char* v = param(name);
  return v != nullptr ? std::string(v) : std::string();
}

bool ContainsToken(const std::string& header, std::string_view token) {
  // Media types are case-insensitive.
  std::string lower;
  lower.reserve(header.size());
  for (char c : header) {
    lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  return lower.find(token) != std::string::npos;
}

}  // namespace

bool Request::WantsJson() const {
  Result<BodyKind> kind = BodyKindFor(content_type);
  if (kind.ok() && kind.value() == BodyKind::kJson) return true;
  return ContainsToken(accept, "application/json");
}

std::string Request::QueryParam(const std::string& name) const {
  Result<Fields> fields = ParseUrlEncoded(query);
  if (!fields.ok()) return std::string();
  auto it = fields.value().find(name);
  return it != fields.value().end() ? it->second : std::string();
}

std::string Request::Cookie(std::string_view name) const {
  // "a=1; b=2" (RFC 6265 section 5.4): pairs split by ";", spaces around.
  std::string_view rest(cookie);
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view()
                                         : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return std::string(value);
  }
  return std::string();
}

Request BuildRequest(
    const std::function<const char*(const char*)>& param,
    const std::function<std::size_t(char*, std::size_t)>& read) {
  Request r;
  r.method = Param(param, "REQUEST_METHOD");
  r.path = Param(param, "DOCUMENT_URI");
  r.query = Param(param, "QUERY_STRING");
  r.content_type = Param(param, "CONTENT_TYPE");
  r.accept = Param(param, "HTTP_ACCEPT");
  r.accept_language = Param(param, "HTTP_ACCEPT_LANGUAGE");
  r.host = Param(param, "REQUEST_HOST");
  if (r.host.empty()) r.host = Param(param, "HTTP_HOST");
  r.origin = Param(param, "HTTP_ORIGIN");
  r.sec_fetch_site = Param(param, "HTTP_SEC_FETCH_SITE");
  r.remote_addr = Param(param, "REMOTE_ADDR");
  r.cookie = Param(param, "HTTP_COOKIE");
  r.internal_key = Param(param, "REGISTRAR_INTERNAL");
  r.job_timestamp = Param(param, "HTTP_X_JOB_TIMESTAMP");
  r.job_signature = Param(param, "HTTP_X_JOB_SIGNATURE");

  // Never read without a parsable CONTENT_LENGTH; never past the cap.
  std::string length = Param(param, "CONTENT_LENGTH");
  if (length.empty()) return r;
  // Digits only (strtoull would take a sign or spaces).
  if (length.find_first_not_of("0123456789") != std::string::npos) {
    r.body_short = true;
    return r;
  }
  errno = 0;
  unsigned long long n = std::strtoull(length.c_str(), nullptr, 10);
  if (errno != 0) {
    r.body_too_large = true;
    return r;
  }
  if (n > kMaxBodyBytes) {
    r.body_too_large = true;
    return r;
  }
  r.body.resize(n);
  std::size_t got = 0;
  while (got < n) {
    std::size_t k = read(r.body.data() + got, n - got);
    if (k == 0) break;
    got += k;
  }
  if (got < n) {
    r.body.resize(got);
    r.body_short = true;
  }
  return r;
}

Request ReadFcgiRequest(FCGX_Request* fcgx) {
  return BuildRequest(
      [fcgx](const char* name) { return FCGX_GetParam(name, fcgx->envp); },
      [fcgx](char* buf, std::size_t n) -> std::size_t {
        int k = FCGX_GetStr(buf, static_cast<int>(n), fcgx->in);
        return k > 0 ? static_cast<std::size_t>(k) : 0;
      });
}

}  // namespace reg
