#include "mail/mime.h"

#include <cstdio>
#include <ctime>
#include <string>

#include "base/encoding.h"
#include "base/utf8.h"

namespace reg {
namespace {

// Raw bytes per encoded-word: base64 of 36 bytes is 48 characters, so a
// word is 60 characters long.
constexpr std::size_t kWordBytes = 36;
// RFC 5322 2.1.1: at most 998 octets per line, CRLF excluded.
constexpr std::size_t kMaxLineOctets = 998;

bool IsControl(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
}

Status CheckHeaderText(std::string_view s, const char* what) {
  for (char c : s) {
    if (IsControl(c)) {
      return Status::InvalidArgument(std::string(what) + ": control character");
    }
  }
  return Status::Ok();
}

// One address: exactly one '@' with text on both sides, no white space or
// control character; the domain holds nothing that could end the header or
// start another address. The local part may hold specials ("<", ",", ...):
// QuoteAddress quotes them.
Status CheckAddress(std::string_view a, const char* what) {
  Status s = CheckHeaderText(a, what);
  if (!s.ok()) return s;
  const std::size_t at = a.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == a.size() ||
      a.find('@', at + 1) != std::string_view::npos ||
      a.find_first_of(" \t") != std::string_view::npos ||
      a.substr(at + 1).find_first_of("<>,;\"()[]\\:") !=
          std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + ": not a bare address");
  }
  return Status::Ok();
}

// RFC 5322 atext, plus any byte of a UTF-8 sequence (RFC 6532).
bool IsAtext(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || u >= 0x80 ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) !=
             std::string_view::npos;
}

bool IsDotAtom(std::string_view local) {
  if (local.empty() || local.front() == '.' || local.back() == '.')
    return false;
  for (std::size_t i = 0; i < local.size(); i++) {
    if (local[i] == '.') {
      if (local[i + 1] == '.') return false;
    } else if (!IsAtext(local[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string QuoteAddress(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::string(address);
  const std::string_view local = address.substr(0, at);
  if (IsDotAtom(local)) return std::string(address);
  std::string out = "\"";
  for (char c : local) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"";
  out += address.substr(at);
  return out;
}

std::string FormatMailbox(std::string_view name, std::string_view address) {
  const std::string addr = QuoteAddress(address);
  if (name.empty()) return addr;
  std::string phrase = EncodeHeaderText(name);
  if (phrase == name &&
      name.find_first_of("()<>[]:;@\\,.\"") != std::string_view::npos) {
    phrase = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') phrase += '\\';
      phrase += c;
    }
    phrase += "\"";
  }
  return phrase + " <" + addr + ">";
}

namespace {

bool IsValidUnique(std::string_view u) {
  if (u.size() < 16 || u.size() > 64) return false;
  for (char c : u) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// One MIME part: "--boundary", its headers, and "body" with CRLF line ends.
// The result ends with CRLF, which belongs to the next delimiter.
Result<std::string> Part(std::string_view boundary, const char* type,
                         std::string_view body) {
  if (!IsValidUtf8(body)) return Status::InvalidArgument("body: not UTF-8");
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 2);
  bool ascii = true;
  // Line by line (each ends at LF or CRLF), each line checked, then
  // appended whole with CRLF: a mail is rendered on every registration.
  for (std::size_t start = 0; start < body.size();) {
    const std::size_t lf = body.find('\n', start);
    std::string_view line = body.substr(start, lf - start);  // to the end
    if (lf != std::string_view::npos && !line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    for (const char c : line) {
      if (c == '\r') return Status::InvalidArgument("body: bare CR");
      if (c == '\0') return Status::InvalidArgument("body: NUL");
      if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    }
    if (line.size() > kMaxLineOctets) {
      return Status::InvalidArgument("body: line over 998 octets");
    }
    out.append(line);
    if (lf == std::string_view::npos) break;
    out += "\r\n";
    start = lf + 1;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
    out += "\r\n";
  }
  return "--" + std::string(boundary) + "\r\nContent-Type: " + type +
         "; charset=utf-8\r\nContent-Transfer-Encoding: " +
         (ascii ? "7bit" : "8bit") + "\r\n\r\n" + out;
}

}  // namespace

std::string EncodeHeaderText(std::string_view utf8) {
  bool plain = utf8.find("=?") == std::string_view::npos;
  for (char c : utf8) plain = plain && c >= 0x20 && c <= 0x7E;
  if (plain) return std::string(utf8);
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::size_t end = i;
    while (end < utf8.size()) {
      // One lead byte and its continuation bytes (at most 4 in all).
      std::size_t next = end + 1;
      while (next < utf8.size() && next - end < 4 &&
             (static_cast<unsigned char>(utf8[next]) & 0xC0) == 0x80) {
        ++next;
      }
      if (next - i > kWordBytes) break;
      end = next;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Encode(utf8.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string Rfc5322Date(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return "Thu, 01 Jan 1970 00:00:00 +0000";
  // %a and %b name days and months in the program's locale: "C" (English),
  // since nothing here calls setlocale.
  char buf[64];
  const size_t n =
      std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return std::string(buf, n);
}

Result<RenderedMail> RenderMail(const MailParts& parts, std::int64_t unix_s,
                                std::string_view unique) {
  Status s = CheckAddress(parts.from, "from");
  if (s.ok()) s = CheckAddress(parts.to, "to");
  if (s.ok()) s = CheckHeaderText(parts.subject, "subject");
  if (s.ok()) s = CheckHeaderText(parts.from_name, "from name");
  if (!s.ok()) return s;
  for (char c : parts.language) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-')) {
      return Status::InvalidArgument("language: not a language tag");
    }
  }
  if (!IsValidUnique(unique)) {
    return Status::InvalidArgument("unique: want 16 to 64 of [A-Za-z0-9_-]");
  }
  const std::string boundary = "=_reg_" + std::string(unique);
  Result<std::string> text = Part(boundary, "text/plain", parts.text);
  if (!text.ok()) return text.status();
  Result<std::string> html = Part(boundary, "text/html", parts.html);
  if (!html.ok()) return html.status();

  RenderedMail mail;
  mail.message_id = "<" + std::string(unique) + "@" +
                    parts.from.substr(parts.from.rfind('@') + 1) + ">";
  std::string& b = mail.bytes;
  b += "From: " + FormatMailbox(parts.from_name, parts.from) + "\r\n";
  b += "To: " + QuoteAddress(parts.to) + "\r\n";
  b += "Subject: " + EncodeHeaderText(parts.subject) + "\r\n";
  b += "Date: " + Rfc5322Date(unix_s) + "\r\n";
  b += "Message-ID: " + mail.message_id + "\r\n";
  if (!parts.language.empty()) {
    b += "Content-Language: " + parts.language + "\r\n";
  }
  b += "MIME-Version: 1.0\r\n";
  // RFC 3834: no vacation or out-of-office replies to a machine's mail
  // (the second line is what Exchange and Outlook read).
  b += "Auto-Submitted: auto-generated\r\n";
  b += "X-Auto-Response-Suppress: All\r\n";
  b += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  // RFC 5322 2.1.1: no line over 998 octets, header lines included (an
  // over-long address or unfoldable subject is refused, not sent broken).
  for (std::size_t start = 0, end;
       (end = b.find("\r\n", start)) != std::string::npos; start = end + 2) {
    if (end - start > kMaxLineOctets) {
      return Status::InvalidArgument("header line over 998 octets");
    }
  }
  b += "\r\n";
  b += text.value();
  b += html.value();
  b += "--" + boundary + "--\r\n";
  return mail;
}

}  // namespace reg
