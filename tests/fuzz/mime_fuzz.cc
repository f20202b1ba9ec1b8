// Fuzzes the mail builder: RenderMail with fuzzed subject, recipient and
// bodies ("subject\0to\0text\0html"; the first 8 bytes, read as an
// integer, also give the date), and EncodeHeaderText on the whole input.
// A rendered header block may only hold the template's header lines, and
// an encoded subject must decode back to the subject.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/utf8.h"
#include "crypto/token.h"
#include "fuzz_util.h"
#include "mail/mime.h"

namespace {

constexpr std::string_view kFrom = "noreply@example.com";
constexpr std::string_view kUnique = "Zm9vYmFyYmF6cXV4cXV1eA";
constexpr std::string_view kHeaderNames[] = {
    "From: ",           "To: ",
    "Subject: ",        "Date: ",
    "Message-ID: ",     "MIME-Version: ",
    "Auto-Submitted: ", "X-Auto-Response-Suppress: ",
    "Content-Type: ",
};

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const std::size_t end = s.find("\r\n");
    out.push_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 2);
  }
  return out;
}

// Every CR starts a CRLF and every LF ends one.
bool OnlyCrlf(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

// The text of EncodeHeaderText's output, with its rules checked on the way.
std::string DecodeHeaderText(std::string_view encoded, std::string_view in) {
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '\r') {
      FUZZ_CHECK(encoded.substr(i, 3) == "\r\n ");
      i += 2;
      continue;
    }
    FUZZ_CHECK(c >= 0x20 && c <= 0x7E);  // printable ASCII, or a fold
  }
  bool plain = in.find("=?") == std::string_view::npos;
  for (char c : in) plain = plain && c >= 0x20 && c <= 0x7E;
  if (plain) {
    FUZZ_CHECK(encoded == in);
    return std::string(encoded);
  }
  std::string text;
  const bool utf8 = reg::IsValidUtf8(in);
  std::size_t start = 0;
  while (start <= encoded.size()) {
    std::size_t end = encoded.find("\r\n ", start);
    if (end == std::string_view::npos) end = encoded.size();
    const std::string_view word = encoded.substr(start, end - start);
    FUZZ_CHECK(word.size() <= 60);
    FUZZ_CHECK(word.substr(0, 10) == "=?UTF-8?B?");
    FUZZ_CHECK(word.size() >= 12 && word.substr(word.size() - 2) == "?=");
    const std::optional<std::string> bytes =
        reg::Base64Decode(word.substr(10, word.size() - 12), true);
    FUZZ_CHECK(bytes.has_value());
    if (utf8) FUZZ_CHECK(reg::IsValidUtf8(*bytes));  // no split sequence
    text += *bytes;
    start = end + 3;
  }
  return text;
}

// The To: value is QuoteAddress(to): "to" itself, or its local part as a
// quoted-string that unescapes back to it.
void CheckTo(std::string_view value, std::string_view to) {
  FUZZ_CHECK(value == reg::QuoteAddress(to));
  if (value.empty() || value[0] != '"') {
    FUZZ_CHECK(value == to);
    return;
  }
  std::string local;
  std::size_t i = 1;
  for (; i < value.size() && value[i] != '"'; ++i) {
    if (value[i] == '\\') ++i;
    FUZZ_CHECK(i < value.size());
    local += value[i];
  }
  FUZZ_CHECK(i < value.size());  // the closing quote
  const std::string_view rest = value.substr(i + 1);
  FUZZ_CHECK(!rest.empty() && rest[0] == '@');
  FUZZ_CHECK(local + std::string(rest) == to);
}

void CheckRendered(const reg::MailParts& parts, const std::string& bytes) {
  FUZZ_CHECK(OnlyCrlf(bytes));
  const std::size_t end = bytes.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string::npos);
  const std::vector<std::string_view> head =
      Lines(std::string_view(bytes).substr(0, end));
  std::size_t next = 0;  // template headers come once each, in order
  std::string subject;
  bool in_subject = false;
  for (std::string_view line : head) {
    FUZZ_CHECK(!HasControl(line));
    // RFC 5322 2.1.1 caps every line at 998 octets: RenderMail refuses an
    // address or subject that would break it (once found here; the inputs
    // are corpus/mime_fuzz/regression-*).
    FUZZ_CHECK(line.size() <= 998);
    if (!line.empty() && line[0] == ' ') {
      FUZZ_CHECK(in_subject);  // only the subject folds
      subject += "\r\n";
      subject += line;
      continue;
    }
    FUZZ_CHECK(next < std::size(kHeaderNames));
    FUZZ_CHECK(line.substr(0, kHeaderNames[next].size()) == kHeaderNames[next]);
    in_subject = kHeaderNames[next] == "Subject: ";
    if (in_subject) subject = line.substr(kHeaderNames[next].size());
    if (kHeaderNames[next] == "To: ") CheckTo(line.substr(4), parts.to);
    ++next;
  }
  FUZZ_CHECK(next == std::size(kHeaderNames));
  FUZZ_CHECK(subject == reg::EncodeHeaderText(parts.subject));
  FUZZ_CHECK(DecodeHeaderText(subject, parts.subject) == parts.subject);
  for (std::string_view line : Lines(std::string_view(bytes).substr(end + 4))) {
    FUZZ_CHECK(line.size() <= 998);  // the bodies: RenderMail's contract
  }
  const std::string last = "--=_reg_" + std::string(kUnique) + "--\r\n";
  FUZZ_CHECK(bytes.size() >= last.size() &&
             bytes.compare(bytes.size() - last.size(), last.size(), last) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view in = fuzz::AsView(data, size);
  FUZZ_CHECK(DecodeHeaderText(reg::EncodeHeaderText(in), in) == in);

  std::int64_t unix_s = 1'700'000'000;
  if (size >= sizeof unix_s) std::memcpy(&unix_s, data, sizeof unix_s);
  const std::string date = reg::Rfc5322Date(unix_s);
  FUZZ_CHECK(!date.empty() && !HasControl(date));

  const auto fields = fuzz::SplitN(in, '\0', 4);
  reg::MailParts parts;
  parts.from = kFrom;
  parts.subject = fields[0];
  parts.to = fields[1];
  parts.text = fields[2];
  parts.html = fields[3];
  const reg::Result<reg::RenderedMail> mail =
      reg::RenderMail(parts, unix_s, kUnique);
  if (!mail.ok()) {
    FUZZ_CHECK(mail.status().code() == reg::Code::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(!HasControl(parts.subject) && !HasControl(parts.to));
  FUZZ_CHECK(parts.to.find('@') != std::string::npos);
  CheckRendered(parts, mail.value().bytes);
  return 0;
}
