#include "http/form.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "base/encoding.h"
#include "base/utf8.h"

namespace reg {
namespace {

// One url-encoded key or value: '+' is a space, %XX a byte.
Result<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] != '%') {
      out += in[i];
    } else {
      const int hi = i + 2 < in.size() ? HexDigitValue(in[i + 1]) : -1;
      const int lo = hi >= 0 ? HexDigitValue(in[i + 2]) : -1;
      if (lo < 0) return Status::Malformed("bad percent-encoding");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  if (!IsValidUtf8(out)) return Status::Malformed("not UTF-8");
  return out;
}

// Whitespace or a control character: never allowed in an email address.
bool IsForbiddenInEmail(char32_t cp) {
  return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Unicode format characters (general category Cf, Unicode 15): invisible,
// or changing the direction of the text around them, so an address holding
// one looks like another. U+00AD soft hyphen, U+200B..U+200F zero-width
// and direction marks, U+202A..U+202E embeddings and overrides,
// U+2060..U+2064, U+2066..U+206F isolates, U+FEFF, tags, and the rest.
bool IsFormatChar(char32_t cp) {
  struct Range {
    char32_t first, last;
  };
  static constexpr Range kCf[] = {
      {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
      {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},
      {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},
      {0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
      {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
      {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
      {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
  };
  for (const Range& r : kCf) {
    if (cp >= r.first && cp <= r.last) return true;
  }
  return false;
}

// A domain with at least one dot, every label 1 to 63 letters, digits and
// hyphens, not starting or ending with a hyphen.
bool IsValidDomain(std::string_view domain) {
  if (domain.find('.') == std::string_view::npos) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > kMaxLabelChars) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), IsLdh)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

constexpr char kEmailFormat[] = "field.email_format";

}  // namespace

Result<Fields> ParseUrlEncoded(std::string_view body) {
  Fields fields;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view piece = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view()
                                         : body.substr(amp + 1);
    if (piece.empty()) continue;
    if (fields.size() == kMaxFields)
      return Status::Malformed("too many fields");
    const std::size_t eq = piece.find('=');
    Result<std::string> key = PercentDecode(piece.substr(0, eq));
    if (!key.ok()) return key.status();
    Result<std::string> value =
        PercentDecode(eq == std::string_view::npos ? std::string_view()
                                                   : piece.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (!fields.emplace(std::move(key).value(), std::move(value).value())
             .second) {
      return Status::Malformed("duplicate field");
    }
  }
  return fields;
}

Result<BodyKind> BodyKindFor(std::string_view content_type) {
  std::size_t semi = content_type.find(';');
  const std::string media =
      AsciiLowerCopy(TrimSpace(content_type.substr(0, semi)));
  BodyKind kind;
  if (media == "application/x-www-form-urlencoded") {
    kind = BodyKind::kForm;
  } else if (media == "application/json") {
    kind = BodyKind::kJson;
  } else {
    return Status(Code::kUnsupportedMedia, "unsupported media type");
  }
  while (semi != std::string_view::npos) {
    content_type = content_type.substr(semi + 1);
    semi = content_type.find(';');
    const std::string_view param = TrimSpace(content_type.substr(0, semi));
    if (param.empty()) continue;
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return Status(Code::kUnsupportedMedia, "bad media type parameter");
    }
    std::string_view value = TrimSpace(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (AsciiLowerCopy(TrimSpace(param.substr(0, eq))) == "charset" &&
        AsciiLowerCopy(value) != "utf-8") {
      return Status(Code::kUnsupportedMedia, "charset is not utf-8");
    }
  }
  return kind;
}

Result<Fields> ParseBody(BodyKind kind, std::string_view body) {
  if (kind == BodyKind::kForm) return ParseUrlEncoded(body);
  if (body.empty()) return Status::Malformed("empty JSON body");
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return Status::Malformed("bad JSON");
  if (!j.is_object()) return Status::Malformed("JSON body is not an object");
  Fields fields;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) {
      fields[it.key()] = it.value().get<std::string>();
    } else if (it.key() == "email" || it.key() == "password" ||
               it.key() == "token" || it.key() == "receipt" ||
               it.key() == "code") {
      return Status::Malformed(it.key() + " must be a string");
    }
  }
  return fields;
}

std::string EmailError(std::string_view email) {
  if (email.empty()) return "field.email_empty";
  if (!IsValidUtf8(email)) return kEmailFormat;
  char32_t cp;
  for (std::size_t i = 0; i < email.size();) {
    i += DecodeUtf8(email, i, &cp);  // never 0: checked above
    if (IsForbiddenInEmail(cp)) {
      return "field.email_space";
    }
    if (IsFormatChar(cp)) {
      return "field.email_invisible";
    }
  }
  const std::size_t length = Utf8Length(email);
  if (length > kMaxEmailChars) return "field.email_too_long";
  if (length < kMinEmailChars) return kEmailFormat;
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != email.npos) {
    return kEmailFormat;
  }
  const std::string_view local = email.substr(0, at);
  if (local.empty()) return kEmailFormat;
  if (Utf8Length(local) > kMaxLocalChars) {
    return "field.email_local_too_long";
  }
  if (!IsValidDomain(email.substr(at + 1))) return kEmailFormat;
  return "";
}

std::string PasswordError(std::string_view password) {
  if (!IsValidUtf8(password)) return "field.password_not_text";
  const std::size_t length = Utf8Length(password);
  if (length < kMinPasswordChars) return "field.password_too_short";
  if (length > kMaxPasswordChars) return "field.password_too_long";
  return "";
}

std::string FieldMessage(const Messages& m, std::string_view key) {
  return m.Text(key, {{"min", std::to_string(kMinPasswordChars)},
                      {"max", std::to_string(kMaxPasswordChars)}});
}

std::string NormalizeEmail(std::string_view email) {
  return AsciiLowerCopy(email);
}

// Providers whose aliases reach one mailbox, as each documents them:
// Google, "Gmail doesn't recognize dots" and googlemail.com addresses are
// the same accounts; Yahoo Mail's disposable addresses are
// "basename-keyword@yahoo.com". (Outlook.com's and the others' "+tag" is
// folded for every domain.) Domain, the domain it stands for, whether
// dots count, the character before a keyword ('\0': none).
struct AliasRules {
  std::string_view domain;
  std::string_view canonical;
  bool dots_ignored;
  char keyword;
};
constexpr AliasRules kAliasRules[] = {
    {"gmail.com", "gmail.com", true, '\0'},
    {"googlemail.com", "gmail.com", true, '\0'},
    {"yahoo.com", "yahoo.com", false, '-'},
};

std::string MailboxKey(std::string_view email) {
  std::string key = NormalizeEmail(email);
  const std::size_t at = key.rfind('@');
  if (at == std::string::npos) return key;
  std::string local = key.substr(0, at);
  std::string domain = key.substr(at + 1);
  const std::size_t plus = local.find('+');
  if (plus > 0 && plus != std::string::npos) local.erase(plus);
  for (const AliasRules& rules : kAliasRules) {
    if (domain != rules.domain) continue;
    domain = rules.canonical;
    if (rules.dots_ignored) {
      std::string bare;
      for (char c : local) {
        if (c != '.') bare += c;
      }
      if (!bare.empty()) local = bare;
    }
    const std::size_t cut =
        rules.keyword == '\0' ? std::string::npos : local.find(rules.keyword);
    if (cut > 0 && cut != std::string::npos) local.erase(cut);
    break;
  }
  return local + "@" + domain;
}

}  // namespace reg
