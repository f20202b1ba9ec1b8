#include "mime.h"

#include <cstdio>
#include <string>

#include "form.h"
#include "html.h"

namespace reg {
namespace {

// Raw bytes per encoded-word: base64 of 36 bytes is 48 characters, so a
// word is 60 characters long.
constexpr std::size_t kWordBytes = 36;
// RFC 5322 2.1.1: at most 998 octets per line, CRLF excluded.
constexpr std::size_t kMaxLineOctets = 998;

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  const auto byte = [in](std::size_t k) -> std::uint32_t {
    return k < in.size() ? static_cast<unsigned char>(in[k]) : 0u;
  };
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

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

// One bare address: exactly one '@' with text on both sides, nothing that
// could end the header or start another address.
Status CheckAddress(std::string_view a, const char* what) {
  Status s = CheckHeaderText(a, what);
  if (!s.ok()) return s;
  const std::size_t at = a.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == a.size() ||
      a.find('@', at + 1) != std::string_view::npos ||
      a.find_first_of("<>,;\" ") != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + ": not a bare address");
  }
  return Status::Ok();
}

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
  const Status too_long = Status::InvalidArgument("body: line over 998 octets");
  bool ascii = true;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    if (c == '\r') return Status::InvalidArgument("body: bare CR");
    if (c == '\0') return Status::InvalidArgument("body: NUL");
    if (c == '\n') {
      if (out.size() - line_start > kMaxLineOctets) return too_long;
      out += "\r\n";
      line_start = out.size();
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    out += c;
  }
  if (out.size() - line_start > kMaxLineOctets) return too_long;
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
    out += "\r\n";
  }
  return "--" + std::string(boundary) + "\r\nContent-Type: " + type +
         "; charset=utf-8\r\nContent-Transfer-Encoding: " +
         (ascii ? "7bit" : "8bit") + "\r\n\r\n" + out;
}

std::string Hours(int ttl_hours) {
  if (ttl_hours < 1) return "less than an hour";
  if (ttl_hours == 1) return "1 hour";
  return std::to_string(ttl_hours) + " hours";
}

// The HTML mail around "content", with inline styles (mail clients drop
// stylesheets).
std::string MailHtml(std::string_view title, const std::string& content) {
  std::string h = "<!doctype html>\n<html lang=\"en\">\n<head>\n";
  h += "<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" ";
  h += "content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>" + HtmlEscape(title) + "</title>\n</head>\n";
  h += "<body style=\"margin:0;padding:24px;background:#f4f6f8;";
  h += "color:#1f2328;line-height:1.5;font-family:system-ui,-apple-system,";
  h += "'Segoe UI',Roboto,Arial,sans-serif\">\n";
  h += "<div style=\"max-width:28rem;margin:0 auto;padding:24px;";
  h += "background:#ffffff;border-radius:12px\">\n";
  h += "<h1 style=\"margin:0 0 16px;font-size:20px\">";
  h += HtmlEscape(title) + "</h1>\n";
  h += content;
  h += "</div>\n</body>\n</html>\n";
  return h;
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
    out += "=?UTF-8?B?" + Base64(utf8.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string Rfc5322Date(std::int64_t unix_s) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed",
                                          "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
  std::int64_t days = unix_s / 86400;
  std::int64_t secs = unix_s % 86400;
  if (secs < 0) secs += 86400, days -= 1;
  const int weekday =
      static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01: Thu
  // days_from_civil inverted (H. Hinnant, "chrono-Compatible Low-Level
  // Date Algorithms").
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe =
      (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
                kDays[weekday], static_cast<int>(day), kMonths[month - 1],
                static_cast<long long>(year), static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

Result<RenderedMail> RenderMail(const MailParts& parts, std::int64_t unix_s,
                                std::string_view unique) {
  Status s = CheckAddress(parts.from, "from");
  if (s.ok()) s = CheckAddress(parts.to, "to");
  if (s.ok()) s = CheckHeaderText(parts.subject, "subject");
  if (!s.ok()) return s;
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
  b += "From: " + parts.from + "\r\n";
  b += "To: " + parts.to + "\r\n";
  b += "Subject: " + EncodeHeaderText(parts.subject) + "\r\n";
  b += "Date: " + Rfc5322Date(unix_s) + "\r\n";
  b += "Message-ID: " + mail.message_id + "\r\n";
  b += "MIME-Version: 1.0\r\n";
  b += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  b += "\r\n";
  b += text.value();
  b += html.value();
  b += "--" + boundary + "--\r\n";
  return mail;
}

MailText VerificationMail(std::string_view link, int ttl_hours) {
  const std::string hours = Hours(ttl_hours);
  MailText m;
  m.subject = "Confirm your email address";
  m.text = "Hello,\n\n";
  m.text += "someone asked to create an account with this email address.\n";
  m.text += "To confirm that it is yours, open this link and press the\n";
  m.text += "button \"Verify my email\":\n\n";
  m.text += std::string(link) + "\n\n";
  m.text += "The link works for " + hours + ". If it has expired, register\n";
  m.text += "again with the same address to get a new one.\n\n";
  m.text += "If you did not ask for this, someone else may have typed your\n";
  m.text += "address by mistake. Then ignore this mail: without the link,\n";
  m.text += "nothing happens.\n";

  const std::string href = HtmlEscape(link);
  std::string c;
  c += "<p>Someone asked to create an account with this email address. ";
  c += "To confirm that it is yours, open this link and press the button ";
  c += "&quot;Verify my email&quot;.</p>\n";
  c += "<p><a href=\"" + href + "\" style=\"display:inline-block;";
  c += "padding:12px 20px;background:#0b57d0;color:#ffffff;";
  c += "text-decoration:none;border-radius:6px;font-weight:600\">";
  c += "Confirm my email address</a></p>\n";
  c += "<p>Or open this link:<br>\n";
  c += "<a href=\"" + href + "\" style=\"color:#0b57d0;";
  c += "word-break:break-all\">" + href + "</a></p>\n";
  c += "<p>The link works for " + hours + ". If it has expired, register ";
  c += "again with the same address to get a new one.</p>\n";
  c += "<p style=\"color:#57606a;font-size:14px\">If you did not ask for ";
  c += "this, someone else may have typed your address by mistake. Then ";
  c += "ignore this mail: without the link, nothing happens.</p>\n";
  m.html = MailHtml(m.subject, c);
  return m;
}

MailText AccountExistsMail(std::string_view base_url) {
  MailText m;
  m.subject = "You already have an account";
  m.text = "Hello,\n\n";
  m.text += "someone just tried to register this email address at\n";
  m.text += std::string(base_url) + "\n";
  m.text += "but the address already has an account.\n\n";
  m.text += "If that was you, there is nothing to do: your account is\n";
  m.text += "active.\n\n";
  m.text += "If it was not you, you can ignore this mail: nothing has\n";
  m.text += "changed in your account.\n";

  const std::string url = HtmlEscape(base_url);
  std::string c;
  c += "<p>Someone just tried to register this email address at ";
  c += "<a href=\"" + url + "\" style=\"color:#0b57d0\">" + url + "</a>, ";
  c += "but the address already has an account.</p>\n";
  c += "<p>If that was you, there is nothing to do: your account is ";
  c += "active.</p>\n";
  c += "<p style=\"color:#57606a;font-size:14px\">If it was not you, you ";
  c += "can ignore this mail: nothing has changed in your account.</p>\n";
  m.html = MailHtml(m.subject, c);
  return m;
}

}  // namespace reg
