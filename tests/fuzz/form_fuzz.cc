// Fuzzes the body parsers: the first line is a Content-Type value for
// BodyKindFor, the rest is a body for ParseUrlEncoded and ParseBody (both
// kinds).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "fuzz_util.h"
#include "http/form.h"

namespace {

using reg::BodyKind;
using reg::Fields;
using reg::Result;

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Percent-encodes every byte but [A-Za-z0-9._~-].
std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
        c == '-') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void CheckFields(const Fields& fields) {
  for (const auto& [key, value] : fields) {
    FUZZ_CHECK(reg::IsValidUtf8(key));
    FUZZ_CHECK(reg::IsValidUtf8(value));
  }
}

void CheckContentType(std::string_view content_type) {
  const Result<BodyKind> kind = reg::BodyKindFor(content_type);
  if (!kind.ok()) {
    FUZZ_CHECK(kind.status().code() == reg::Code::kUnsupportedMedia);
  }
  // Media type, parameter names and the charset value are case-insensitive.
  const Result<BodyKind> upper = reg::BodyKindFor(AsciiUpper(content_type));
  FUZZ_CHECK(kind.ok() == upper.ok());
  if (kind.ok()) FUZZ_CHECK(kind.value() == upper.value());
}

void CheckForm(std::string_view body) {
  const Result<Fields> form = reg::ParseUrlEncoded(body);
  const Result<Fields> via_body = reg::ParseBody(BodyKind::kForm, body);
  FUZZ_CHECK(form.ok() == via_body.ok());
  if (!form.ok()) {
    FUZZ_CHECK(form.status().code() == reg::Code::kMalformed);
    return;
  }
  FUZZ_CHECK(form.value() == via_body.value());
  FUZZ_CHECK(form.value().size() <= reg::kMaxFields);
  CheckFields(form.value());
  // Encoding the fields again and parsing that gives the same fields.
  std::string again;
  for (const auto& [key, value] : form.value()) {
    if (!again.empty()) again += '&';
    again += Encode(key) + "=" + Encode(value);
  }
  const Result<Fields> reparsed = reg::ParseUrlEncoded(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed.value() == form.value());
}

void CheckJson(std::string_view body) {
  const Result<Fields> json = reg::ParseBody(BodyKind::kJson, body);
  if (!json.ok()) {
    FUZZ_CHECK(json.status().code() == reg::Code::kMalformed);
    return;
  }
  FUZZ_CHECK(!body.empty());
  CheckFields(json.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const auto parts = fuzz::SplitN(fuzz::AsView(data, size), '\n', 2);
  CheckContentType(parts[0]);
  CheckForm(parts[1]);
  CheckJson(parts[1]);
  const Result<BodyKind> kind = reg::BodyKindFor(parts[0]);
  if (kind.ok()) {
    const Result<Fields> fields = reg::ParseBody(kind.value(), parts[1]);
    if (fields.ok()) CheckFields(fields.value());
  }
  return 0;
}
