#include "mail/dsn.h"

#include <optional>
#include <utility>

#include "base/encoding.h"

namespace reg {
namespace {

constexpr int kMaxDsnDepth = 8;
constexpr std::size_t kMaxDiagnosticChars = 200;

// Header fields of one entity (or one block of a report), names
// lowercased, folded lines joined.
using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// Splits "text" (LF line ends) at its first empty line: fields, then the
// rest (the body).
std::pair<HeaderFields, std::string_view> SplitFields(std::string_view text) {
  HeaderFields fields;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view()
                                         : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t')) {
      if (!fields.empty()) {
        fields.back().second += " ";
        fields.back().second += TrimSpace(line);
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fields.emplace_back(AsciiLowerCopy(TrimSpace(line.substr(0, colon))),
                        std::string(TrimSpace(line.substr(colon + 1))));
  }
  return {std::move(fields), text};
}

std::string Field(const HeaderFields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return v;
  }
  return "";
}

// The value of parameter "name" of a Content-Type ("" when absent).
std::string Param(std::string_view content_type, std::string_view name) {
  std::size_t at = content_type.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = content_type.substr(at + 1);
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return "";
    const std::string key = AsciiLowerCopy(TrimSpace(rest.substr(0, eq)));
    rest = TrimSpace(rest.substr(eq + 1));
    std::string value;
    std::size_t used = 0;
    if (!rest.empty() && rest[0] == '"') {
      used = 1;
      while (used < rest.size() && rest[used] != '"') {
        if (rest[used] == '\\' && used + 1 < rest.size()) used++;
        value += rest[used++];
      }
    } else {
      used = rest.find(';');
      value = std::string(TrimSpace(rest.substr(0, used)));
    }
    if (key == name) return value;
    const std::size_t next = rest.find(';', used);
    if (next == std::string_view::npos) return "";
    content_type = rest.substr(next);
    at = 0;
  }
  return "";
}

// "type/subtype", lowercased.
std::string MediaType(std::string_view content_type) {
  return AsciiLowerCopy(TrimSpace(content_type.substr(0, content_type.find(';'))));
}

// "rfc822; Ann@Example.com" (or "utf-8;"): the address, without angle
// brackets.
std::string Address(std::string_view value) {
  const std::size_t semi = value.find(';');
  std::string_view a =
      TrimSpace(semi == std::string_view::npos ? value : value.substr(semi + 1));
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') {
    a = a.substr(1, a.size() - 2);
  }
  return std::string(a);
}

bool AllDigits(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "5.1.1 (bad mailbox)" gives "5.1.1"; "" unless class.subject.detail
// (RFC 3463).
std::string StatusCode(std::string_view value) {
  value = TrimSpace(value);
  value = value.substr(0, value.find_first_of(" \t("));
  const std::size_t dot1 = value.find('.');
  const std::size_t dot2 =
      dot1 == std::string_view::npos ? dot1 : value.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return "";
  const std::string_view cls = value.substr(0, dot1);
  if (cls != "2" && cls != "4" && cls != "5") return "";
  if (!AllDigits(value.substr(dot1 + 1, dot2 - dot1 - 1), 3) ||
      !AllDigits(value.substr(dot2 + 1), 3)) {
    return "";
  }
  return std::string(value);
}

std::string Diagnostic(std::string_view value) {
  const std::size_t semi = value.find(';');
  if (semi != std::string_view::npos) value = value.substr(semi + 1);
  std::string out;
  for (char c : TrimSpace(value)) {
    if (out.size() == kMaxDiagnosticChars) break;
    if (c >= 0x20 && c <= 0x7e) out += c;
  }
  return out;
}

// The groups of a report body: per-message fields first, then one block
// per recipient.
void ReadReport(std::string_view body, std::vector<DsnRecipient>* out) {
  bool first = true;
  while (!body.empty()) {
    // Blank lines between blocks.
    while (!body.empty() && (body[0] == '\n' || body[0] == '\r')) {
      body.remove_prefix(1);
    }
    if (body.empty()) break;
    auto [fields, rest] = SplitFields(body);
    body = rest;
    if (first) {
      first = false;
      if (Field(fields, "final-recipient").empty()) continue;
    }
    DsnRecipient r;
    r.original_recipient = Address(Field(fields, "original-recipient"));
    r.final_recipient = Address(Field(fields, "final-recipient"));
    r.action = AsciiLowerCopy(TrimSpace(Field(fields, "action")));
    r.status = StatusCode(Field(fields, "status"));
    r.diagnostic = Diagnostic(Field(fields, "diagnostic-code"));
    if (!r.final_recipient.empty() || !r.original_recipient.empty()) {
      out->push_back(std::move(r));
    }
  }
}

std::string LfOnly(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); i++) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

std::optional<std::string> DecodeBody(std::string_view body,
                                      std::string_view encoding) {
  const std::string e = AsciiLowerCopy(TrimSpace(encoding));
  if (e != "base64") return std::string(body);
  std::string compact;
  for (char c : body) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  }
  std::optional<std::string> decoded = Base64Decode(compact);
  if (!decoded) return std::nullopt;
  return LfOnly(*decoded);
}

// Reads the entity "text" (LF line ends): a report part's groups, or the
// parts of a multipart, into "dsn".
void ReadEntity(std::string_view text, int depth, Dsn* dsn) {
  if (depth > kMaxDsnDepth) return;
  auto [fields, body] = SplitFields(text);
  const std::string content_type = Field(fields, "content-type");
  const std::string type = MediaType(content_type);
  if (type == "message/delivery-status" ||
      type == "message/global-delivery-status") {
    std::optional<std::string> decoded =
        DecodeBody(body, Field(fields, "content-transfer-encoding"));
    if (!decoded) return;
    dsn->kind = Dsn::Kind::kReport;
    ReadReport(*decoded, &dsn->recipients);
    return;
  }
  if (type.rfind("multipart/", 0) != 0) return;
  const std::string boundary = Param(content_type, "boundary");
  if (boundary.empty()) return;
  const std::string delimiter = "--" + boundary;
  // Parts start after a line "--boundary", end before the next one.
  std::size_t at = 0;
  std::optional<std::size_t> part_start;
  while (at <= body.size()) {
    std::size_t end = body.find('\n', at);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = TrimSpace(body.substr(at, end - at));
    if (line.substr(0, delimiter.size()) == delimiter) {
      const bool closing = line.substr(delimiter.size()) == "--";
      if (line.size() == delimiter.size() || closing) {
        if (part_start) {
          const std::size_t stop = at > *part_start ? at - 1 : *part_start;
          ReadEntity(body.substr(*part_start, stop - *part_start), depth + 1,
                     dsn);
        }
        if (closing) return;
        part_start = end + 1 <= body.size() ? end + 1 : body.size();
      }
    }
    at = end + 1;
  }
}

bool SameAddress(std::string_view a, std::string_view b) {
  return !a.empty() && AsciiLowerCopy(a) == AsciiLowerCopy(b);
}

}  // namespace

Dsn ParseDsn(std::string_view message) {
  if (message.size() > kMaxDsnBytes) message = message.substr(0, kMaxDsnBytes);
  if (message.substr(0, 5) == "From ") {  // an mbox separator line
    const std::size_t end = message.find('\n');
    message = end == std::string_view::npos ? std::string_view()
                                            : message.substr(end + 1);
  }
  const std::string text = LfOnly(message);
  Dsn dsn;
  ReadEntity(text, 0, &dsn);
  if (dsn.kind == Dsn::Kind::kReport) return dsn;
  // An automatic reply (RFC 3834) or anything else: no report.
  const HeaderFields fields = SplitFields(text).first;
  const std::string auto_submitted =
      AsciiLowerCopy(Field(fields, "auto-submitted"));
  if (auto_submitted.rfind("auto-replied", 0) == 0 ||
      !Field(fields, "x-autoreply").empty()) {
    dsn.kind = Dsn::Kind::kAutoReply;
  }
  return dsn;
}

const DsnRecipient* GroupFor(const Dsn& dsn, std::string_view rcpt) {
  for (const DsnRecipient& r : dsn.recipients) {
    const std::string& named = r.original_recipient.empty()
                                   ? r.final_recipient
                                   : r.original_recipient;
    if (SameAddress(named, rcpt)) return &r;
  }
  return nullptr;
}

}  // namespace reg
