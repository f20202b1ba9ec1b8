#include "base/status.h"

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

}  // namespace reg
