#include "http/html.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/escape.h"
#include "http/form.h"

namespace reg {
namespace {

// The whole document around "main", the already-escaped content of <main>.
// "script" adds /static/<script> (deferred): app.js for the registration
// page, receipt.js for a receipt's. "no_referrer": the page's address
// carries a receipt, which no request from it may send on.
std::string Page(const Messages& m, std::string_view title,
                 const std::string& main, const char* script = nullptr,
                 bool no_referrer = false) {
  std::string out;
  out.reserve(main.size() + 640);
  out +=
      "<!doctype html>\n<html lang=\"" + HtmlEscape(m.tag()) + "\">\n<head>\n";
  out += "<meta charset=\"utf-8\">\n";
  out +=
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n";
  out += "<meta name=\"color-scheme\" content=\"light\">\n";
  // nginx sends "Referrer-Policy: no-referrer", under which browsers send
  // "Origin: null" with every POST, and the same-site check refuses that
  // (403). "same-origin" keeps referrers off other sites and lets our own
  // forms say where they come from.
  // A page whose address holds a receipt sends no referrer at all; its
  // forms then go with "Origin: null" and Sec-Fetch-Site: same-origin,
  // which the same-site check takes.
  out += no_referrer ? "<meta name=\"referrer\" content=\"no-referrer\">\n"
                     : "<meta name=\"referrer\" content=\"same-origin\">\n";
  out += "<title>" + HtmlEscape(title) + "</title>\n";
  out += "<link rel=\"stylesheet\" href=\"/static/app.css\">\n";
  out +=
      "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n";
  if (script != nullptr) {
    out += std::string("<script src=\"/static/") + script +
           "\" defer></script>\n";
  }
  out += "</head>\n<body>\n<main class=\"card\">\n";
  out += main;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

// A decorative status picture above a heading (/static/<name>.svg); the
// heading says the same in words, so the alt text is empty.
std::string Icon(const char* name, const char* tone) {
  return std::string("<div class=\"badge badge-") + tone +
         "\"><img src=\"/static/" + name +
         ".svg\" alt=\"\" width=\"32\" height=\"32\"></div>\n";
}

// The link styled as the page's main action.
std::string ActionLink(const char* href, const std::string& text) {
  return std::string("<p class=\"actions\"><a href=\"") + href +
         "\" class=\"button\">" + HtmlEscape(text) + "</a></p>\n";
}

// The message element beside a field. It is always present, so that
// aria-describedby always names an element and the live region exists
// before a message is put in it; CSS collapses it when empty.
std::string FieldError(const char* id, const std::string& message) {
  return std::string("<p class=\"error\" id=\"") + id +
         "\" aria-live=\"polite\">" + HtmlEscape(message) + "</p>\n";
}

// Closes an input tag: marked invalid when "error" is set, and focused on
// load when it is the first invalid field ("*focus_taken" records that).
std::string CloseInput(const std::string& error, bool* focus_taken) {
  if (error.empty()) return ">\n";
  std::string out = " aria-invalid=\"true\"";
  if (!*focus_taken) out += " autofocus";
  *focus_taken = true;
  return out + ">\n";
}

// The messages app.js shows, as JSON for the form's data-messages: the
// field errors, its own (js.*), the page titles, and the plural rule with
// the forms of "js.count" (app.js picks the form as PluralCategory does).
std::string ScriptMessages(const Messages& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, text] : m.texts()) {
    if (key.rfind("field.", 0) == 0 || key.rfind("js.", 0) == 0) j[key] = text;
  }
  j["plural_rule"] = m.plural_rule();
  j["js.count"] = m.PluralForms("js.count");
  j["title"] = m.Text("register.title");
  j["error_title"] =
      m.Text("page.error_title", {{"title", m.Text("register.title")}});
  return j.dump();
}

}  // namespace

std::string RegisterPage(const Messages& msg, const RegisterForm& form) {
  const bool invalid =
      !form.email_error.empty() || !form.password_error.empty();
  bool focus_taken = false;
  const std::string title = msg.Text("register.title");
  std::string m = "<h1>" + HtmlEscape(title) + "</h1>\n";
  m += "<p class=\"lead\">" + msg.Html("register.lead") + "</p>\n";
  // Filled by app.js when a request fails (network, 429, 503).
  m += "<p class=\"form-error\" id=\"form-error\" role=\"alert\"></p>\n";
  m += "<form method=\"post\" action=\"/register\" data-messages=\"" +
       HtmlEscape(ScriptMessages(msg)) + "\">\n";
  m += "<div class=\"field\">\n";
  m += "<label for=\"email\">" + msg.Html("page.email_label") + "</label>\n";
  m += "<input name=\"email\" type=\"email\" autocomplete=\"email\" ";
  m += "id=\"email\" value=\"" + HtmlEscape(form.email) + "\" required ";
  m += "maxlength=\"" + std::to_string(kMaxEmailChars) + "\" ";
  m += "autocapitalize=\"none\" spellcheck=\"false\" ";
  m += "aria-describedby=\"email-error\"";
  m += CloseInput(form.email_error, &focus_taken);
  m += FieldError("email-error", form.email_error);
  m += "</div>\n<div class=\"field\">\n";
  m += "<label for=\"password\">" + msg.Html("page.password_label") +
       "</label>\n";
  // minlength/maxlength count UTF-16 units, the server code points: the
  // browser may be stricter than the server, never more lenient.
  m += "<input name=\"password\" type=\"password\" ";
  m += "autocomplete=\"new-password\" id=\"password\" required ";
  m += "minlength=\"" + std::to_string(kMinPasswordChars) + "\" ";
  m += "maxlength=\"" + std::to_string(kMaxPasswordChars) + "\" ";
  m += "aria-describedby=\"password-hint password-error\"";
  m += CloseInput(form.password_error, &focus_taken);
  m += "<p class=\"hint\" id=\"password-hint\">" +
       msg.Html("register.password_hint",
                {{"min", std::to_string(kMinPasswordChars)},
                 {"max", std::to_string(kMaxPasswordChars)}}) +
       "</p>\n";
  m += FieldError("password-error", form.password_error);
  m += "</div>\n";
  // formnovalidate: the server (or app.js) checks the fields and puts each
  // message beside its field, where the browser's own bubbles would hide
  // them and never reach the server with JavaScript off.
  m += "<button type=\"submit\" formnovalidate>" + msg.Html("register.submit") +
       "</button>\n";
  m += "</form>\n";
  m += "<p class=\"small\">" + msg.Html("register.small") + "</p>\n";
  return Page(
      msg, invalid ? msg.Text("page.error_title", {{"title", title}}) : title,
      m, /*script=*/"app.js");
}

std::string ResendForm(const Messages& msg, const std::string& lead) {
  std::string m = "<p>" + lead + "</p>\n";
  m += "<form method=\"post\" action=\"/register/resend\" class=\"resend\">\n";
  m += "<div class=\"field\">\n";
  m += "<label for=\"resend-email\">" + msg.Html("page.email_label") +
       "</label>\n";
  m += "<input name=\"email\" type=\"email\" autocomplete=\"email\" ";
  m += "id=\"resend-email\" required ";
  m += "maxlength=\"" + std::to_string(kMaxEmailChars) + "\" ";
  m += "autocapitalize=\"none\" spellcheck=\"false\">\n";
  m += "</div>\n";
  m += "<button type=\"submit\">" + msg.Html("resend.submit") + "</button>\n";
  m += "</form>\n";
  return m;
}

std::string ReceiptMessageKey(const ReceiptView& v) {
  if (!v.known) return "receipt.unknown";
  // 5.1.x: the address does not exist (a typing mistake, most often).
  const bool address = v.detail.rfind("5.1.", 0) == 0;
  if (v.state == "refused") {
    return address ? "receipt.refused_address" : "receipt.refused";
  }
  if (v.state == "bounced") {
    return address ? "receipt.bounced_address" : "receipt.bounced";
  }
  if (v.state == "not_sent") {
    return v.detail == "mail_cap" ? "receipt.not_sent_cap"
                                  : "receipt.not_sent_suppressed";
  }
  if (v.state == "delayed" && v.detail == "mail_cap") {
    return "receipt.delayed_cap";  // our MAIL_CAP_TOTAL, not the server
  }
  if (v.state == "accepted" && v.bounces_watched) {
    return "receipt.accepted_watched";
  }
  for (const char* s : {"queued", "sending", "delayed", "accepted",
                        "verified"}) {
    if (v.state == s) return std::string("receipt.") + s;
  }
  return "receipt.queued";
}

namespace {

// The receipt's words, plain text, for "view" in the language "msg".
std::string ReceiptText(const Messages& msg, const ReceiptView& v) {
  const std::int64_t when = v.retry_at_s != 0 ? v.retry_at_s : v.since_s;
  return msg.Text(ReceiptMessageKey(v), {{"when", msg.DateTimeUtc(when)},
                                         {"code", v.detail}});
}

// The messages receipt.js shows: every receipt.* text, with {when} and
// {code} left for it to fill, the page's titles (sent.title*), and the
// date's format and month names, so that it writes {when} as
// DateTimeUtc does.
std::string ReceiptScriptMessages(const Messages& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, text] : m.texts()) {
    if (key.rfind("receipt.", 0) == 0 || key.rfind("sent.title", 0) == 0) {
      j[key] = text;
    }
  }
  j["date.format"] = m.Text("date.format");
  j["date.months"] = m.months();
  return j.dump();
}

// What became of the receipt's mail: its state in a role="status" region
// (announced when receipt.js changes it, once per change), the server's
// words apart from it, and a "check again" button (a plain GET).
std::string ReceiptSection(const Messages& msg, const ReceiptView& v) {
  std::string m = "<section class=\"receipt\" data-receipt=\"" +
                  HtmlEscape(v.receipt) + "\" data-state=\"" +
                  HtmlEscape(v.known ? v.state : "") + "\" data-final=\"" +
                  (v.final || !v.known ? "1" : "0") + "\" data-watched=\"" +
                  (v.bounces_watched ? "1" : "0") + "\" data-messages=\"" +
                  HtmlEscape(ReceiptScriptMessages(msg)) + "\">\n";
  m += "<h2>" + msg.Html("receipt.heading") + "</h2>\n";
  m += "<p id=\"receipt-status\" role=\"status\">" +
       HtmlEscape(ReceiptText(msg, v)) + "</p>\n";
  m += "<p id=\"receipt-reply\" class=\"small\"";
  if (v.reply.empty()) m += " hidden";
  m += ">" + msg.Html("receipt.reply_label") + " <q id=\"receipt-reply-text\">" +
       HtmlEscape(v.reply) + "</q></p>\n";
  m += "<form method=\"get\" action=\"/register/sent\" class=\"check\">\n";
  m += "<input type=\"hidden\" name=\"r\" value=\"" + HtmlEscape(v.receipt) +
       "\">\n";
  m += "<button type=\"submit\">" + msg.Html("receipt.check_again") +
       "</button>\n</form>\n</section>\n";
  return m;
}

// The code from the mail, typed where one registered: posts the receipt
// and the code to /activate; the error beside the field.
std::string CodeForm(const Messages& msg, const ReceiptView& v) {
  bool focus_taken = false;
  std::string m =
      "<form method=\"post\" action=\"/activate\" class=\"code\" "
      "id=\"code-form\">\n";
  m += "<input type=\"hidden\" name=\"receipt\" value=\"" +
       HtmlEscape(v.code_receipt.empty() ? v.receipt : v.code_receipt) +
       "\">\n";
  m += "<p>" + msg.Html("code.lead") + "</p>\n";
  m += "<div class=\"field\">\n";
  m += "<label for=\"code\">" + msg.Html("code.label") + "</label>\n";
  m += "<input name=\"code\" id=\"code\" type=\"text\" inputmode=\"numeric\" ";
  m += "autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" maxlength=\"12\" ";
  m += "required spellcheck=\"false\" aria-describedby=\"code-error\"";
  m += CloseInput(v.code_error, &focus_taken);
  m += FieldError("code-error", v.code_error);
  m += "</div>\n";
  m += "<button type=\"submit\">" + msg.Html("code.submit") + "</button>\n";
  m += "</form>\n";
  return m;
}

}  // namespace

std::string SentTitleKey(const ReceiptView* receipt) {
  if (receipt == nullptr || !receipt->known) return "sent.title";
  for (const char* state : {"refused", "bounced", "not_sent"}) {
    if (receipt->state == state) return std::string("sent.title_") + state;
  }
  return "sent.title";
}

std::string SentPage(const Messages& msg, const ReceiptView* receipt) {
  // A mail that was refused, bounced or never sent brings no link and no
  // code: the page then says only what became of it and what to do, from
  // its title on. receipt.js does the same when the state comes live.
  const std::string title_key = SentTitleKey(receipt);
  const bool no_mail = title_key != "sent.title";
  std::string m = Icon("mail", "info") + "<h1>" + msg.Html(title_key) +
                  "</h1>\n";
  if (!no_mail) {
    m += "<p class=\"lead\" id=\"sent-lead\">" + msg.Html("sent.lead") +
         "</p>\n";
  }
  if (receipt != nullptr) m += ReceiptSection(msg, *receipt);
  if (receipt != nullptr && receipt->code_form && !no_mail) {
    m += CodeForm(msg, *receipt);
  }
  if (!no_mail) {
    m += "<ul class=\"tips\" id=\"sent-tips\">\n<li>" +
         msg.Html("sent.tip_wait") + "</li>\n</ul>\n";
  }
  m += ResendForm(msg, msg.Html("sent.resend"));
  if (receipt == nullptr) return Page(msg, msg.Text(title_key), m);
  const std::string title =
      receipt->code_error.empty()
          ? msg.Text(title_key)
          : msg.Text("page.error_title", {{"title", msg.Text(title_key)}});
  return Page(msg, title, m,
              receipt->known && !receipt->final ? "receipt.js" : nullptr,
              /*no_referrer=*/true);
}

std::string CodeTooManyPage(const Messages& msg) {
  return Page(msg, msg.Text("code.too_many_title"),
              Icon("alert", "warn") + "<h1>" + msg.Html("code.too_many_title") +
                  "</h1>\n<p class=\"lead\">" + msg.Html("code.too_many_lead") +
                  "</p>\n" + ActionLink("/", msg.Text("page.home")));
}

std::string ResendPage(const Messages& msg, std::string_view email,
                       std::string_view email_error) {
  std::string m = Icon("mail", "info");
  m += "<h1>" + msg.Html("resend.title") + "</h1>\n";
  m += "<form method=\"post\" action=\"/register/resend\" novalidate>\n";
  m += "<label for=\"email\">" + msg.Html("page.email_label") + "</label>\n";
  m += "<input id=\"email\" name=\"email\" type=\"email\" "
       "autocomplete=\"email\" value=\"" +
       HtmlEscape(email) + "\" aria-describedby=\"email-error\">\n";
  if (!email_error.empty()) {
    m += "<p class=\"error\" id=\"email-error\">" + HtmlEscape(email_error) +
         "</p>\n";
  }
  m += "<button type=\"submit\">" + msg.Html("resend.submit") + "</button>\n";
  m += "</form>\n";
  return Page(msg, msg.Text("resend.title"), m);
}

std::string ActivatePage(const Messages& msg, std::string_view token) {
  std::string m = Icon("shield", "info");
  m += "<h1>" + msg.Html("activate.title") + "</h1>\n";
  m += "<p class=\"lead\">" + msg.Html("activate.lead") + "</p>\n";
  m += "<form method=\"post\" action=\"/activate\">\n";
  m += "<input type=\"hidden\" name=\"token\" value=\"";
  m += HtmlEscape(token) + "\">\n";
  m += "<button type=\"submit\">" + msg.Html("activate.submit") + "</button>\n";
  m += "</form>\n";
  m += "<p class=\"small\">" + msg.Html("activate.small") + "</p>\n";
  return Page(msg, msg.Text("activate.title"), m);
}

std::string ActivatePasswordPage(const Messages& msg, std::string_view token,
                                 std::int64_t registered_s,
                                 std::string_view password_error) {
  const std::string error(password_error);
  bool focus_taken = false;
  std::string m = Icon("shield", "info");
  m += "<h1>" + msg.Html("activate.title") + "</h1>\n";
  m += "<p class=\"lead\">" +
       msg.Html("activate.registered",
                {{"when", HtmlEscape(msg.DateTimeUtc(registered_s))}}) +
       " " + msg.Html("activate.lead_password") + "</p>\n";
  m += "<form method=\"post\" action=\"/activate\">\n";
  m += "<input type=\"hidden\" name=\"token\" value=\"";
  m += HtmlEscape(token) + "\">\n";
  m += "<div class=\"field\">\n";
  m += "<label for=\"password\">" + msg.Html("page.password_label") +
       "</label>\n";
  m += "<input name=\"password\" type=\"password\" ";
  m += "autocomplete=\"current-password\" id=\"password\" required ";
  m += "aria-describedby=\"password-error\"";
  m += CloseInput(error, &focus_taken);
  m += FieldError("password-error", error);
  m += "</div>\n";
  m += "<button type=\"submit\">" + msg.Html("activate.submit") + "</button>\n";
  m += "</form>\n";
  m += "<p class=\"small\">" + msg.Html("activate.other_ways") + "</p>\n";
  m += ActionLink("/", msg.Text("page.home"));
  return Page(msg,
              error.empty() ? msg.Text("activate.title")
                            : msg.Text("page.error_title",
                                       {{"title", msg.Text("activate.title")}}),
              m);
}

namespace {

// A page saying the account is active: "heading", then "lead".
std::string ActivePage(const Messages& msg, const char* title,
                       const char* heading, const char* lead) {
  return Page(msg, msg.Text(title),
              Icon("check", "ok") + "<h1>" + msg.Html(heading) +
                  "</h1>\n<p class=\"lead\">" + msg.Html(lead) + "</p>\n<p>" +
                  msg.Html("verified.done") + "</p>\n");
}

}  // namespace

std::string VerifiedPage(const Messages& msg) {
  return ActivePage(msg, "verified.title", "verified.title", "verified.lead");
}

std::string AlreadyVerifiedPage(const Messages& msg) {
  return ActivePage(msg, "already.title", "already.heading", "already.lead");
}

std::string ExpiredPage(const Messages& msg) {
  return Page(msg, msg.Text("expired.title"),
              Icon("clock", "warn") + "<h1>" + msg.Html("expired.title") +
                  "</h1>\n<p class=\"lead\">" + msg.Html("expired.lead") +
                  "</p>\n" + ResendForm(msg, msg.Html("expired.resend")) +
                  ActionLink("/", msg.Text("page.home")));
}

std::string NotFoundPage(const Messages& msg) {
  return Page(msg, msg.Text("notfound.title"),
              Icon("alert", "warn") + "<h1>" + msg.Html("notfound.title") +
                  "</h1>\n<p class=\"lead\">" + msg.Html("notfound.lead") +
                  "</p>\n<p>" + msg.Html("notfound.help") + "</p>\n" +
                  ActionLink("/", msg.Text("page.home")));
}

std::string ErrorPage(const Messages& msg, int http_status,
                      std::string_view title, std::string_view message) {
  std::string m = Icon("alert", "warn");
  m += "<p class=\"status\">" +
       msg.Html("error.status", {{"status", std::to_string(http_status)}}) +
       "</p>\n";
  m += "<h1>" + HtmlEscape(title) + "</h1>\n";
  m += "<p class=\"lead\">" + HtmlEscape(message) + "</p>\n";
  m += ActionLink("/", msg.Text("page.home"));
  return Page(msg, title, m);
}

std::string ErrorPageFor(const Messages& m, int http_status,
                         std::string_view key) {
  const std::string k(key);
  return ErrorPage(m, http_status, m.Text(k + ".title"), m.Text(k + ".text"));
}

std::string ErrorJson(const Messages& m, std::string_view key) {
  return nlohmann::json{{"error", m.Text(std::string(key) + ".text")}}.dump();
}

std::map<std::string, std::string> NginxErrorPages(const Catalogues& langs) {
  // Each status and the messages it shows: a 504 is a 502 to a person.
  static constexpr struct {
    int status;
    const char* key;
  } kErrors[] = {{400, "error.400"}, {413, "error.413"}, {414, "error.414"},
                 {429, "error.429"}, {502, "error.502"}, {504, "error.502"}};
  std::map<std::string, std::string> pages;
  for (const std::string& tag : langs.tags()) {
    const Messages& m = langs.Get(tag);
    for (const auto& e : kErrors) {
      const std::string name = std::to_string(e.status) + "." + tag;
      pages[name + ".html"] = ErrorPageFor(m, e.status, e.key);
      pages[name + ".json"] = ErrorJson(m, e.key);
    }
  }
  return pages;
}

}  // namespace reg
