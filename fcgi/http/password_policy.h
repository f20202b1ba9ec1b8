// PasswordPolicy: rules beyond the contract's length rule. Refuses
// passwords on a common-password list and the registrant's own address.
#ifndef FCGI_HTTP_PASSWORD_POLICY_H_
#define FCGI_HTTP_PASSWORD_POLICY_H_

#include <string>
#include <string_view>
#include <unordered_set>

#include "base/status.h"

namespace reg {

// Immutable after Load: safe to share between threads.
class PasswordPolicy {
 public:
  // An empty list: only the address rule applies.
  PasswordPolicy() = default;

  // Reads one password per line (john's password.lst format; lines
  // starting with "#!comment:" are skipped). Entries shorter than
  // "min_chars" are dropped: the length rule refuses them anyway.
  // NotFound when the file cannot be read.
  static Result<PasswordPolicy> Load(const std::string& path, size_t min_chars);

  // A worker's COMMON_PASSWORDS, at start: Load with the contract's
  // length rule, or, with "path" empty or unreadable (logged as a
  // warning: "...; common passwords are not refused"), only the address
  // rule.
  static PasswordPolicy LoadOrWarn(const std::string& path);

  // "" when "password" is acceptable for "email" (trimmed); otherwise the
  // key of the message for the person ("field.password_common"). Comparisons
  // ignore ASCII case. REQUIRES: PasswordError(password) == "" (valid UTF-8,
  // right length).
  std::string Check(std::string_view password, std::string_view email) const;

  size_t size() const { return common_.size(); }

 private:
  std::unordered_set<std::string> common_;  // ASCII-lowercased
};

}  // namespace reg

#endif  // FCGI_HTTP_PASSWORD_POLICY_H_
