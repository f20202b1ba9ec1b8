#include "handlers/router.h"

#include <openssl/crypto.h>

#include <exception>

#include "base/encoding.h"
#include "base/log.h"
#include "http/html.h"

namespace reg {
namespace {

// "host:port" → {host, port}; "[::1]:8080" → {"[::1]", "8080"}.
std::pair<std::string, std::string> SplitHostPort(std::string_view authority) {
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon == std::string_view::npos ||
      (bracket != std::string_view::npos && colon < bracket)) {
    return {AsciiLowerCopy(authority), ""};
  }
  return {AsciiLowerCopy(authority.substr(0, colon)),
          std::string(authority.substr(colon + 1))};
}

// The catalogue keys of the title and text of the error page for "status".
std::string ErrorKey(int status) {
  switch (status) {
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 410:
    case 413:
    case 415:
    case 503:
      return "error." + std::to_string(status);
  }
  return "error.500";
}

// A client nginx saw on loopback, or on a unix socket ("unix:"). A missing
// address is not loopback: the worker cannot tell who sent it.
bool IsLoopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" ||
         addr.rfind("::ffff:127.", 0) == 0 || addr == "unix:";
}

}  // namespace

Status CheckInternal(const Request& request, std::string_view key) {
  // Only nginx's internal listener knows the key: not the public listener,
  // nor another process that can reach the workers' socket.
  if (key.empty() || request.internal_key.size() != key.size() ||
      CRYPTO_memcmp(request.internal_key.data(), key.data(), key.size()) !=
          0) {
    return Status::NotFound("internal path without the internal key");
  }
  if (!IsLoopback(request.remote_addr)) {
    return Status(Code::kForbidden,
                  "internal path from '" + request.remote_addr + "'");
  }
  return Status();
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return 200;
    case Code::kMalformed:
      return 400;
    case Code::kInvalidArgument:
      return 422;
    case Code::kUnauthenticated:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kGone:
      return 410;
    case Code::kTooLarge:
      return 413;
    case Code::kUnsupportedMedia:
      return 415;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(const Request& request, const Status& status,
                       const Messages& m) {
  const int code = HttpStatusFor(status);
  const std::string key = ErrorKey(code);
  Response r;
  if (request.WantsJson()) {
    r = Response::Json(code, ErrorJson(m, key));
  } else if (code == 404) {
    r = Response::Html(code, NotFoundPage(m));
  } else if (code == 410) {
    r = Response::Html(code, ExpiredPage(m));
  } else {
    r = Response::Html(code, ErrorPageFor(m, code, key));
  }
  if (code == 503) r.AddHeader("Retry-After", "5");
  return r;
}

Status CheckSameSite(const Request& request) {
  if (AsciiLowerCopy(request.sec_fetch_site) == "cross-site") {
    return Status(Code::kForbidden, "cross-site request (Sec-Fetch-Site)");
  }
  if (request.origin.empty()) return Status();
  // A browser sends "Origin: null" under some referrer policies even for
  // its own site's form; Sec-Fetch-Site (which no page can forge) says so.
  if (request.origin == "null" &&
      AsciiLowerCopy(request.sec_fetch_site) == "same-origin") {
    return Status();
  }
  const Status forbidden(Code::kForbidden, "cross-site request (Origin)");
  size_t sep = request.origin.find("://");
  if (sep == std::string::npos) return forbidden;  // "null" and the like
  const std::string scheme = AsciiLowerCopy(request.origin.substr(0, sep));
  std::string_view authority(request.origin);
  authority.remove_prefix(sep + 3);
  if (authority.find('/') != std::string_view::npos) return forbidden;
  auto [o_host, o_port] = SplitHostPort(authority);
  if (o_port.empty()) o_port = scheme == "https" ? "443" : "80";
  auto [h_host, h_port] = SplitHostPort(request.host);
  if (o_host != h_host) return forbidden;
  // $host (Debian's fastcgi_params) has no port: then the host decides.
  if (!h_port.empty() && h_port != o_port) return forbidden;
  return Status();
}

namespace {

// Says which language the answer is in, and that it depends on
// Accept-Language (for caches), on every answer that has words in it.
void MarkLanguage(Response* response, const Messages& m) {
  bool words = response->status >= 400;
  for (const auto& [name, value] : response->headers) {
    if (name == "Content-Type" && value.rfind("text/html", 0) == 0) {
      words = true;
    }
  }
  if (!words) return;
  response->AddHeader("Content-Language", m.tag());
  response->AddHeader("Vary", "Accept-Language");
}

}  // namespace

Reply Router::Dispatch(const Request& request, Context& context) const {
  const Messages& m =
      context.services.catalogues->Choose(request.accept_language);
  Reply reply = Serve(request, context, m);
  MarkLanguage(&reply.response, m);
  return reply;
}

Reply Router::Serve(const Request& request, Context& context,
                    const Messages& m) const {
  std::string method = request.method == "HEAD" ? "GET" : request.method;
  Reply reply;
  if (request.path.rfind("/internal/", 0) == 0) {
    Status s = CheckInternal(request, context.services.internal_key);
    if (!s.ok()) {
      reply.response = ErrorResponse(request, s, m);
      return reply;
    }
  }
  const Route* found = nullptr;
  std::string allow;
  for (const Route& route : routes_) {
    if (request.path != route.path) continue;
    if (!allow.empty()) allow += ", ";
    allow += route.method;
    if (std::string(route.method) == "GET") allow += ", HEAD";
    if (method == route.method) found = &route;
  }
  if (found == nullptr) {
    Status s = allow.empty() ? Status::NotFound("no route")
                             : Status(Code::kMethodNotAllowed, "method");
    reply.response = ErrorResponse(request, s, m);
    if (!allow.empty()) reply.response.AddHeader("Allow", allow);
    return reply;
  }
  if (found->same_site_only) {
    Status s = CheckSameSite(request);
    if (!s.ok()) {
      reply.response = ErrorResponse(request, s, m);
      return reply;
    }
  }
  try {
    Result<Reply> r = found->handler(request, context);
    if (r.ok()) return std::move(r).value();
    Status s = r.status();
    if (s.code() == Code::kInvalidArgument) {
      // A handler answers a field at fault itself (422, the form again);
      // an InvalidArgument that comes back is a failure inside (a mail
      // that would not render, say): logged and a 500, never a field error.
      s = Status::Internal(s.message());
    }
    if (HttpStatusFor(s) >= 500) {
      Log("%s %s: %s", request.method.c_str(), request.path.c_str(),
          s.ToString().c_str());
    }
    reply.response = ErrorResponse(request, s, m);
  } catch (const std::exception& e) {
    Log("%s %s: exception: %s", request.method.c_str(), request.path.c_str(),
        e.what());
    reply = Reply();
    reply.response = ErrorResponse(request, Status::Internal("exception"), m);
  }
  return reply;
}

}  // namespace reg
