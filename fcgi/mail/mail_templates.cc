#include "mail/mail_templates.h"

#include <cstdint>
#include <ctime>
#include <string>

#include "base/escape.h"
#include "base/utf8.h"

namespace reg {
namespace {

// "paragraph" as lines of at most 72 characters (code points), broken at
// ASCII spaces only (a no-break space, as French puts before ":", holds);
// a word longer than a line gets a line of its own.
std::string Wrap(const std::string& paragraph) {
  constexpr std::size_t kWidth = 72;
  std::string out, line;
  std::size_t line_chars = 0;
  std::size_t start = 0;
  while (start <= paragraph.size()) {
    std::size_t end = paragraph.find(' ', start);
    if (end == std::string::npos) end = paragraph.size();
    const std::string word = paragraph.substr(start, end - start);
    const std::size_t chars = Utf8Length(word);
    if (!word.empty()) {
      if (line_chars > 0 && line_chars + 1 + chars > kWidth) {
        out += line + "\n";
        line.clear();
        line_chars = 0;
      }
      if (line_chars > 0) line += ' ', ++line_chars;
      line += word;
      line_chars += chars;
    }
    start = end + 1;
  }
  return out + line + "\n";
}

// The fonts of the mail, in an inline style (clients drop stylesheets).
constexpr char kMailFont[] =
    "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";

// The HTML mail around "content": tables and inline styles, which is what
// Outlook, Gmail and Apple Mail all lay out alike; 560 px wide at most,
// the whole width on a phone. The colours are the pages' (nginx/static/
// app.css), all WCAG AA on white.
std::string MailHtml(const Messages& m, std::string_view title,
                     const std::string& content) {
  std::string h =
      "<!doctype html>\n<html lang=\"" + HtmlEscape(m.tag()) + "\">\n<head>\n";
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
std::string MailButton(const std::string& href, const std::string& text) {
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

}  // namespace

MailText VerificationMail(const Messages& msg, std::string_view link,
                          std::string_view code, int ttl_hours,
                          std::int64_t registered_s) {
  const std::string hours = msg.Plural("mail.verify.hours", ttl_hours);
  const std::string when = msg.DateTimeUtc(registered_s);
  MailText m;
  m.language = msg.tag();
  m.subject = msg.Text("mail.verify.subject");
  m.text = m.subject + "\n\n";
  m.text += Wrap(msg.Text("mail.verify.asked", {{"when", when}}) + " " +
                 msg.Text("mail.verify.open_text"));
  m.text += "\n" + std::string(link) + "\n\n";
  m.text += Wrap(msg.Text("mail.verify.press_text")) + "\n";
  m.text +=
      Wrap(msg.Text("mail.verify.code")) + "\n" + std::string(code) + "\n\n";
  m.text += Wrap(msg.Text("mail.verify.ttl", {{"hours", hours}})) + "\n";
  m.text += Wrap(msg.Text("mail.verify.not_you"));

  const std::string href = HtmlEscape(link);
  std::string c = MailParagraph(
      msg.Html("mail.verify.asked", {{"when", HtmlEscape(when)}}) + " " +
      msg.Html("mail.verify.press_html"));
  c += MailButton(href, msg.Html("mail.verify.button"));
  c += MailParagraph(msg.Html("mail.verify.copy"),
                     "margin-bottom:4px;font-size:14px;line-height:20px;"
                     "color:#57606a;");
  c += MailParagraph("<a href=\"" + href + "\" target=\"_blank\" " +
                         "style=\"color:#0b57d0;\">" + href + "</a>",
                     "font-size:14px;line-height:20px;word-break:break-all;");
  c += MailParagraph(msg.Html("mail.verify.code"));
  c += MailParagraph(HtmlEscape(code),
                     "font-family:ui-monospace,Menlo,Consolas,monospace;"
                     "font-size:28px;line-height:36px;font-weight:700;"
                     "letter-spacing:4px;");
  c += MailParagraph(
      msg.Html("mail.verify.ttl", {{"hours", HtmlEscape(hours)}}));
  c += MailFooter(msg.Html("mail.verify.not_you"));
  m.html = MailHtml(msg, m.subject, c);
  return m;
}

MailText AccountExistsMail(const Messages& msg, std::string_view base_url) {
  MailText m;
  m.language = msg.tag();
  m.subject = msg.Text("mail.exists.subject");
  m.text = m.subject + "\n\n";
  m.text +=
      Wrap(msg.Text("mail.exists.tried", {{"site", std::string(base_url)}}));
  m.text += "\n" + Wrap(msg.Text("mail.exists.was_you"));
  m.text += "\n" + Wrap(msg.Text("mail.exists.not_you"));

  const std::string url = HtmlEscape(base_url);
  std::string c = MailParagraph(
      msg.Html("mail.exists.tried",
               {{"site", "<a href=\"" + url +
                             "\" target=\"_blank\" style=\"color:#0b57d0;\">" +
                             url + "</a>"}}));
  c += MailParagraph(msg.Html("mail.exists.was_you"));
  c += MailFooter(msg.Html("mail.exists.not_you"));
  m.html = MailHtml(msg, m.subject, c);
  return m;
}

MailText NoAccountMail(const Messages& msg, std::string_view base_url) {
  MailText m;
  m.language = msg.tag();
  m.subject = msg.Text("mail.no_account.subject");
  const std::string register_url = std::string(base_url) + "/";
  m.text = m.subject + "\n\n";
  m.text += Wrap(
      msg.Text("mail.no_account.asked", {{"site", std::string(base_url)}}));
  m.text += "\n" + Wrap(msg.Text("mail.no_account.register"));
  m.text += register_url + "\n\n";
  m.text += Wrap(msg.Text("mail.no_account.not_you"));

  const std::string url = HtmlEscape(base_url);
  const std::string href = HtmlEscape(register_url);
  std::string c = MailParagraph(
      msg.Html("mail.no_account.asked",
               {{"site", "<a href=\"" + url +
                             "\" target=\"_blank\" style=\"color:#0b57d0;\">" +
                             url + "</a>"}}));
  c += MailParagraph(msg.Html("mail.no_account.register"));
  c += MailButton(href, msg.Html("mail.no_account.button"));
  c += MailFooter(msg.Html("mail.no_account.not_you"));
  m.html = MailHtml(msg, m.subject, c);
  return m;
}

}  // namespace reg
