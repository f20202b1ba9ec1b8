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
      a.substr(at + 1).find_first_of("<>,;\"()[]\\:") != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + ": not a bare address");
  }
  return Status::Ok();
}

// RFC 5322 atext, plus any byte of a UTF-8 sequence (RFC 6532).
bool IsAtext(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         u >= 0x80 || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsDotAtom(std::string_view local) {
  if (local.empty() || local.front() == '.' || local.back() == '.') return false;
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

// The fonts of the mail, in an inline style (clients drop stylesheets).
constexpr char kMailFont[] =
    "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";

// The HTML mail around "content": tables and inline styles, which is what
// Outlook, Gmail and Apple Mail all lay out alike; 560 px wide at most,
// the whole width on a phone. The colours are the pages' (nginx/static/
// app.css), all WCAG AA on white.
std::string MailHtml(std::string_view title, const std::string& content) {
  std::string h = "<!doctype html>\n<html lang=\"en\">\n<head>\n";
  h += "<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" ";
  h += "content=\"width=device-width, initial-scale=1\">\n";
  h += "<meta name=\"color-scheme\" content=\"light\">\n";
  h += "<meta name=\"supported-color-schemes\" content=\"light\">\n";
  h += "<title>" + HtmlEscape(title) + "</title>\n</head>\n";
  h += "<body style=\"margin:0;padding:0;background-color:#f4f6f8;\">\n";
  h += "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" ";
  h += "cellspacing=\"0\" border=\"0\" style=\"background-color:#f4f6f8;\">\n";
  h += "<tr><td align=\"center\" style=\"padding:24px 12px;\">\n";
  // Outlook for Windows ignores max-width: a fixed table for it alone.
  h += "<!--[if mso]><table role=\"presentation\" width=\"560\" ";
  h += "cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td><![endif]-->\n";
  h += "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" ";
  h += "cellspacing=\"0\" border=\"0\" style=\"max-width:560px;";
  h += "background-color:#ffffff;border:1px solid #d0d7de;border-radius:12px;\">\n";
  h += "<tr><td style=\"padding:32px 28px;";
  h += kMailFont;
  h += "font-size:16px;line-height:24px;color:#1f2328;\">\n";
  h += "<h1 style=\"margin:0 0 16px;font-size:22px;line-height:28px;";
  h += "font-weight:700;color:#1f2328;\">" + HtmlEscape(title) + "</h1>\n";
  h += content;
  h += "</td></tr>\n</table>\n";
  h += "<!--[if mso]></td></tr></table><![endif]-->\n";
  h += "</td></tr>\n</table>\n</body>\n</html>\n";
  return h;
}

// A paragraph of the mail: "style" adds to the common one.
std::string MailParagraph(const std::string& html, const char* style = "") {
  return std::string("<p style=\"margin:0 0 16px;") + style + "\">" + html +
         "</p>\n";
}

// A link drawn as a button: the colour on the cell (Outlook) and on the
// link (everyone else), so it shows as a button in both.
std::string MailButton(const std::string& href, const char* text) {
  std::string b = "<table role=\"presentation\" cellpadding=\"0\" ";
  b += "cellspacing=\"0\" border=\"0\" style=\"margin:8px 0 24px;\">\n";
  b += "<tr><td align=\"center\" bgcolor=\"#0b57d0\" ";
  b += "style=\"border-radius:8px;background-color:#0b57d0;\">\n";
  b += "<a href=\"" + href + "\" target=\"_blank\" style=\"display:inline-block;";
  b += "padding:12px 24px;border:1px solid #0b57d0;border-radius:8px;";
  b += kMailFont;
  b += "font-size:16px;line-height:24px;font-weight:600;color:#ffffff;";
  b += "text-decoration:none;\">";
  b += text;
  b += "</a>\n</td></tr>\n</table>\n";
  return b;
}

// The small print under a rule.
std::string MailFooter(const std::string& html) {
  return "<p style=\"margin:24px 0 0;padding-top:16px;border-top:1px solid "
         "#d0d7de;font-size:14px;line-height:20px;color:#57606a;\">" +
         html + "</p>\n";
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
  b += "From: " + QuoteAddress(parts.from) + "\r\n";
  b += "To: " + QuoteAddress(parts.to) + "\r\n";
  b += "Subject: " + EncodeHeaderText(parts.subject) + "\r\n";
  b += "Date: " + Rfc5322Date(unix_s) + "\r\n";
  b += "Message-ID: " + mail.message_id + "\r\n";
  b += "MIME-Version: 1.0\r\n";
  b += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  // RFC 5322 2.1.1: no line over 998 octets, header lines included (an
  // over-long address or unfoldable subject is refused, not sent broken).
  for (std::size_t start = 0, end; (end = b.find("\r\n", start)) != std::string::npos;
       start = end + 2) {
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

MailText VerificationMail(std::string_view link, int ttl_hours) {
  const std::string hours = Hours(ttl_hours);
  MailText m;
  m.subject = "Confirm your email address";
  m.text = "Confirm your email address\n\n";
  m.text += "Someone asked to create an account with this email address.\n";
  m.text += "To confirm that it is yours, open this link:\n\n";
  m.text += std::string(link) + "\n\n";
  m.text += "and press the button \"Verify my email\" on the page that\n";
  m.text += "opens.\n\n";
  m.text += "The link works for " + hours + ". If it has expired, register\n";
  m.text += "again with the same address to get a new one.\n\n";
  m.text += "If you did not ask for this, someone else may have typed your\n";
  m.text += "address by mistake. Then ignore this mail: without the link,\n";
  m.text += "nothing happens.\n";

  const std::string href = HtmlEscape(link);
  std::string c = MailParagraph(
      "Someone asked to create an account with this email address. To "
      "confirm that it is yours, open the link and press the button "
      "&quot;Verify my email&quot; on the page that opens.");
  c += MailButton(href, "Confirm my email address");
  c += MailParagraph("If the button does not work, copy this link into "
                     "your browser:",
                     "margin-bottom:4px;font-size:14px;line-height:20px;"
                     "color:#57606a;");
  c += MailParagraph("<a href=\"" + href + "\" target=\"_blank\" " +
                         "style=\"color:#0b57d0;\">" + href + "</a>",
                     "font-size:14px;line-height:20px;word-break:break-all;");
  c += MailParagraph("The link works for " + hours + ". If it has expired, "
                     "register again with the same address to get a new "
                     "one.");
  c += MailFooter("If you did not ask for this, someone else may have typed "
                  "your address by mistake. Then ignore this mail: without "
                  "the link, nothing happens.");
  m.html = MailHtml(m.subject, c);
  return m;
}

MailText AccountExistsMail(std::string_view base_url) {
  MailText m;
  m.subject = "You already have an account";
  m.text = "You already have an account\n\n";
  m.text += "Someone just tried to register this email address at\n";
  m.text += std::string(base_url) + "\n";
  m.text += "but the address already has an account.\n\n";
  m.text += "If that was you, there is nothing to do: your account is\n";
  m.text += "active.\n\n";
  m.text += "If it was not you, you can ignore this mail: nothing has\n";
  m.text += "changed in your account.\n";

  const std::string url = HtmlEscape(base_url);
  std::string c = MailParagraph(
      "Someone just tried to register this email address at <a href=\"" +
      url + "\" target=\"_blank\" style=\"color:#0b57d0;\">" + url +
      "</a>, but the address already has an account.");
  c += MailParagraph("If that was you, there is nothing to do: your account "
                     "is active.");
  c += MailFooter("If it was not you, you can ignore this mail: nothing has "
                  "changed in your account.");
  m.html = MailHtml(m.subject, c);
  return m;
}

}  // namespace reg
