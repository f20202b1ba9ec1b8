#include "mail/mail_templates.h"

#include <cstdint>
#include <ctime>
#include <string>

#include "http/html.h"

namespace reg {
namespace {

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
  h +=
      "cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td><![endif]-->\n";
  h += "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" ";
  h += "cellspacing=\"0\" border=\"0\" style=\"max-width:560px;";
  h += "background-color:#ffffff;border:1px solid "
       "#d0d7de;border-radius:12px;\">\n";
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
  b += "<a href=\"" + href +
       "\" target=\"_blank\" style=\"display:inline-block;";
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

// "30 November 2026 at 05:52 UTC".
std::string WhenUtc(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm = {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%e %B %Y at %H:%M UTC", &tm);
  std::string out = buf;
  if (!out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

}  // namespace

MailText VerificationMail(std::string_view link, int ttl_hours,
                          std::int64_t registered_s) {
  const std::string hours = Hours(ttl_hours);
  const std::string when = WhenUtc(registered_s);
  MailText m;
  m.subject = "Confirm your email address";
  m.text = "Confirm your email address\n\n";
  m.text += "Someone asked to create an account with this email address\n";
  m.text += "on " + when + ".\n";
  m.text += "To confirm that it is yours, open this link:\n\n";
  m.text += std::string(link) + "\n\n";
  m.text += "and press the button \"Verify my email\" on the page that\n";
  m.text += "opens.\n\n";
  m.text += "The link works for " + hours + ". If it has expired, register\n";
  m.text += "again with the same address to get a new one.\n\n";
  m.text += "If that was not you, ignore this mail: someone else typed your\n";
  m.text += "address, and without the link no account is made.\n";

  const std::string href = HtmlEscape(link);
  std::string c = MailParagraph(
      "Someone asked to create an account with this email address on " + when +
      ". To "
      "confirm that it is yours, open the link and press the button "
      "&quot;Verify my email&quot; on the page that opens.");
  c += MailButton(href, "Confirm my email address");
  c += MailParagraph(
      "If the button does not work, copy this link into "
      "your browser:",
      "margin-bottom:4px;font-size:14px;line-height:20px;"
      "color:#57606a;");
  c += MailParagraph("<a href=\"" + href + "\" target=\"_blank\" " +
                         "style=\"color:#0b57d0;\">" + href + "</a>",
                     "font-size:14px;line-height:20px;word-break:break-all;");
  c += MailParagraph("The link works for " + hours +
                     ". If it has expired, "
                     "register again with the same address to get a new "
                     "one.");
  c += MailFooter(
      "If that was not you, ignore this mail: someone else typed "
      "your address, and without the link no account is made.");
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
      "Someone just tried to register this email address at <a href=\"" + url +
      "\" target=\"_blank\" style=\"color:#0b57d0;\">" + url +
      "</a>, but the address already has an account.");
  c += MailParagraph(
      "If that was you, there is nothing to do: your account "
      "is active.");
  c += MailFooter(
      "If it was not you, you can ignore this mail: nothing has "
      "changed in your account.");
  m.html = MailHtml(m.subject, c);
  return m;
}

}  // namespace reg
