#include "http/password_policy.h"

#include <fstream>
#include <utility>

#include "base/log.h"
#include "base/utf8.h"
#include "http/form.h"

namespace reg {

Result<PasswordPolicy> PasswordPolicy::Load(const std::string& path,
                                            size_t min_chars) {
  std::ifstream in(path);
  if (!in)
    return Status::NotFound("common-password list \"" + path + "\" unreadable");
  PasswordPolicy policy;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#!comment:", 0) == 0 || !IsValidUtf8(line)) continue;
    if (Utf8Length(line) < min_chars) continue;
    policy.common_.insert(NormalizeEmail(line));  // ASCII lowercase
  }
  return policy;
}

PasswordPolicy PasswordPolicy::LoadOrWarn(const std::string& path) {
  if (path.empty()) return PasswordPolicy();
  Result<PasswordPolicy> loaded = Load(path, kMinPasswordChars);
  if (loaded.ok()) return std::move(loaded).value();
  Log("warning: %s; common passwords are not refused",
      loaded.status().message().c_str());
  return PasswordPolicy();
}

std::string PasswordPolicy::Check(std::string_view password,
                                  std::string_view email) const {
  const std::string lower = NormalizeEmail(password);
  const std::string address = NormalizeEmail(email);
  const std::string local = address.substr(0, address.find('@'));
  if (lower == address || (!local.empty() && lower == local)) {
    return "field.password_is_email";
  }
  if (common_.count(lower) != 0) {
    return "field.password_common";
  }
  return std::string();
}

}  // namespace reg
