#include "base/status.h"

#include <openssl/err.h>

namespace reg {
namespace {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kMalformed:
      return "malformed";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kUnauthenticated:
      return "unauthenticated";
    case Code::kForbidden:
      return "forbidden";
    case Code::kNotFound:
      return "not found";
    case Code::kMethodNotAllowed:
      return "method not allowed";
    case Code::kGone:
      return "gone";
    case Code::kTooLarge:
      return "too large";
    case Code::kUnsupportedMedia:
      return "unsupported media type";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kPermanent:
      return "permanent failure";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = CodeName(code_);
  if (!message_.empty()) s += ": " + message_;
  return s;
}

Status OpenSslError(const char* context) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  std::string message = context;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  return Status::Internal(std::move(message));
}

}  // namespace reg
