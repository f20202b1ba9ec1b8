// Fuzzes the field rules: TrimSpace, EmailError, NormalizeEmail,
// PasswordError, IsValidUtf8 and Utf8Length, asserting what form.h and
// base/utf8.h promise about a value they accept.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "base/utf8.h"
#include "fuzz_util.h"
#include "http/form.h"

namespace {

bool IsLdhOrDot(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void CheckTrim(std::string_view in) {
  const std::string_view t = reg::TrimSpace(in);
  // A view into "in" with only whitespace cut off either end.
  FUZZ_CHECK(t.data() >= in.data() &&
             t.data() + t.size() <= in.data() + in.size());
  FUZZ_CHECK(t.empty() ||
             (!fuzz::IsAsciiSpace(t.front()) && !fuzz::IsAsciiSpace(t.back())));
  const std::size_t head = static_cast<std::size_t>(t.data() - in.data());
  for (std::size_t i = 0; i < head; ++i) FUZZ_CHECK(fuzz::IsAsciiSpace(in[i]));
  for (std::size_t i = head + t.size(); i < in.size(); ++i) {
    FUZZ_CHECK(fuzz::IsAsciiSpace(in[i]));
  }
  FUZZ_CHECK(reg::TrimSpace(t) == t);
}

void CheckUtf8(std::string_view in) {
  const bool valid = reg::IsValidUtf8(in);
  FUZZ_CHECK(valid == fuzz::ReferenceUtf8(in));
  if (valid) {
    FUZZ_CHECK(reg::Utf8Length(in) <= in.size());
    FUZZ_CHECK(reg::Utf8Length(in) * 4 >= in.size());
  }
}

void CheckEmail(std::string_view email) {
  const std::string error = reg::EmailError(email);
  const std::string normal = reg::NormalizeEmail(email);
  FUZZ_CHECK(normal.size() == email.size());
  FUZZ_CHECK(reg::NormalizeEmail(normal) == normal);
  FUZZ_CHECK(std::none_of(normal.begin(), normal.end(),
                          [](char c) { return c >= 'A' && c <= 'Z'; }));
  if (!error.empty()) return;

  FUZZ_CHECK(reg::IsValidUtf8(email));
  FUZZ_CHECK(std::count(email.begin(), email.end(), '@') == 1);
  for (char ch : email) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c > 0x20 && c != 0x7F);  // no ASCII control or space
  }
  const std::size_t length = reg::Utf8Length(email);
  FUZZ_CHECK(length >= reg::kMinEmailChars && length <= reg::kMaxEmailChars);
  const std::size_t at = email.find('@');
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  FUZZ_CHECK(!local.empty() && reg::Utf8Length(local) <= reg::kMaxLocalChars);
  FUZZ_CHECK(domain.find('.') != std::string_view::npos);
  FUZZ_CHECK(std::all_of(domain.begin(), domain.end(), IsLdhOrDot));
  FUZZ_CHECK(domain.front() != '.' && domain.back() != '.');
  FUZZ_CHECK(domain.find("..") == std::string_view::npos);
  // The unique key is itself a valid address.
  FUZZ_CHECK(reg::EmailError(normal).empty());
}

void CheckPassword(std::string_view password) {
  if (!reg::PasswordError(password).empty()) return;
  FUZZ_CHECK(reg::IsValidUtf8(password));
  const std::size_t length = reg::Utf8Length(password);
  FUZZ_CHECK(length >= reg::kMinPasswordChars &&
             length <= reg::kMaxPasswordChars);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const bool kEmptyRefused = !reg::EmailError("").empty();
  FUZZ_CHECK(kEmptyRefused);
  const std::string_view in = fuzz::AsView(data, size);
  CheckTrim(in);
  CheckUtf8(in);
  // EmailError REQUIRES a trimmed value, as the handlers pass it.
  CheckEmail(reg::TrimSpace(in));
  CheckPassword(in);
  return 0;
}
