// Status and Result<T>: errors as values (no exceptions on expected paths).
#ifndef FCGI_BASE_STATUS_H_
#define FCGI_BASE_STATUS_H_

#include <string>
#include <utility>
#include <variant>

namespace reg {

// What went wrong, coarse enough to map onto one HTTP answer each
// (HttpStatusFor in router.cc is the only place that does the mapping).
enum class Code {
  kOk = 0,
  kMalformed,         // 400: bad JSON, bad percent-encoding, not UTF-8
  kInvalidArgument,   // 422: a field breaks a rule
  kUnauthenticated,   // 401: signature missing or wrong
  kForbidden,         // 403: cross-site post
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kGone,              // 410: expired token
  kTooLarge,          // 413
  kUnsupportedMedia,  // 415
  kUnavailable,       // 503, or "retry later" for SMTP 4xx / timeouts
  kInternal,          // 500
};

// A Status is OK or a code plus a message for logs. Messages never hold
// passwords, tokens, secrets or bodies.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Malformed(std::string m) {
    return {Code::kMalformed, std::move(m)};
  }
  static Status InvalidArgument(std::string m) {
    return {Code::kInvalidArgument, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {Code::kUnauthenticated, std::move(m)};
  }
  static Status NotFound(std::string m) {
    return {Code::kNotFound, std::move(m)};
  }
  static Status Gone(std::string m) { return {Code::kGone, std::move(m)}; }
  static Status Unavailable(std::string m) {
    return {Code::kUnavailable, std::move(m)};
  }
  static Status Internal(std::string m) {
    return {Code::kInternal, std::move(m)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", or "OK".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none. REQUIRES for value():
// ok(). A Result is never built from an OK Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status)
      : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace reg

#endif  // FCGI_BASE_STATUS_H_
