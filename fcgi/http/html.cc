#include "http/html.h"

#include <string>

#include "http/form.h"

namespace reg {
namespace {

// The whole document around "main", the already-escaped content of <main>.
// "script" adds /static/app.js (deferred), for the registration page only.
std::string Page(std::string_view title, const std::string& main,
                 bool script = false) {
  std::string out;
  out.reserve(main.size() + 640);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n";
  out += "<meta charset=\"utf-8\">\n";
  out +=
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n";
  out += "<meta name=\"color-scheme\" content=\"light\">\n";
  // nginx sends "Referrer-Policy: no-referrer", under which browsers send
  // "Origin: null" with every POST, and the same-site check refuses that
  // (403). "same-origin" keeps referrers off other sites and lets our own
  // forms say where they come from.
  out += "<meta name=\"referrer\" content=\"same-origin\">\n";
  out += "<title>" + HtmlEscape(title) + "</title>\n";
  out += "<link rel=\"stylesheet\" href=\"/static/app.css\">\n";
  out +=
      "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n";
  if (script) out += "<script src=\"/static/app.js\" defer></script>\n";
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
std::string ActionLink(const char* href, const char* text) {
  return std::string("<p class=\"actions\"><a href=\"") + href +
         "\" class=\"button\">" + text + "</a></p>\n";
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

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RegisterPage(const RegisterForm& form) {
  const bool invalid =
      !form.email_error.empty() || !form.password_error.empty();
  bool focus_taken = false;
  std::string m = "<h1>Create your account</h1>\n";
  m += "<p class=\"lead\">Enter your email address and choose a password. "
       "We will send you a link to confirm the address.</p>\n";
  // Filled by app.js when a request fails (network, 429, 503).
  m += "<p class=\"form-error\" id=\"form-error\" role=\"alert\"></p>\n";
  m += "<form method=\"post\" action=\"/register\">\n";
  m += "<div class=\"field\">\n";
  m += "<label for=\"email\">Email address</label>\n";
  m += "<input name=\"email\" type=\"email\" autocomplete=\"email\" ";
  m += "id=\"email\" value=\"" + HtmlEscape(form.email) + "\" required ";
  m += "maxlength=\"" + std::to_string(kMaxEmailChars) + "\" ";
  m += "autocapitalize=\"none\" spellcheck=\"false\" ";
  m += "aria-describedby=\"email-error\"";
  m += CloseInput(form.email_error, &focus_taken);
  m += FieldError("email-error", form.email_error);
  m += "</div>\n<div class=\"field\">\n";
  m += "<label for=\"password\">Password</label>\n";
  // minlength/maxlength count UTF-16 units, the server code points: the
  // browser may be stricter than the server, never more lenient.
  m += "<input name=\"password\" type=\"password\" ";
  m += "autocomplete=\"new-password\" id=\"password\" required ";
  m += "minlength=\"" + std::to_string(kMinPasswordChars) + "\" ";
  m += "maxlength=\"" + std::to_string(kMaxPasswordChars) + "\" ";
  m += "aria-describedby=\"password-hint password-error\"";
  m += CloseInput(form.password_error, &focus_taken);
  m += "<p class=\"hint\" id=\"password-hint\">" +
       std::to_string(kMinPasswordChars) + " to " +
       std::to_string(kMaxPasswordChars) +
       " characters; spaces are fine.</p>\n";
  m += FieldError("password-error", form.password_error);
  m += "</div>\n";
  // formnovalidate: the server (or app.js) checks the fields and puts each
  // message beside its field, where the browser's own bubbles would hide
  // them and never reach the server with JavaScript off.
  m += "<button type=\"submit\" formnovalidate>Create account</button>\n";
  m += "</form>\n";
  m += "<p class=\"small\">Lost your link, or did it expire? Register again "
       "with the same address and we will send a new one.</p>\n";
  return Page(invalid ? "Error: Create your account" : "Create your account", m,
              /*script=*/true);
}

std::string SentPage() {
  return Page("Check your inbox",
              Icon("mail", "info") +
                  "<h1>Check your inbox</h1>\n"
                  "<p class=\"lead\">We sent a link to the email address you "
                  "gave. Open it to confirm your address.</p>\n"
                  "<ul class=\"tips\">\n"
                  "<li>It can take a minute or two to arrive. Look in your "
                  "spam or junk folder too.</li>\n"
                  "<li>The link works for a limited time. If it does not "
                  "arrive or has expired, <a href=\"/\">register again</a> "
                  "with the same address and we will send a new link.</li>\n"
                  "</ul>\n");
}

std::string ResendPage(std::string_view email, std::string_view email_error) {
  std::string m = Icon("mail", "info");
  m += "<h1>Get the link again</h1>\n";
  m += "<form method=\"post\" action=\"/register/resend\" novalidate>\n";
  m += "<label for=\"email\">Email</label>\n";
  m += "<input id=\"email\" name=\"email\" type=\"email\" "
       "autocomplete=\"email\" value=\"" +
       HtmlEscape(email) + "\" aria-describedby=\"email-error\">\n";
  if (!email_error.empty()) {
    m += "<p class=\"error\" id=\"email-error\">" + HtmlEscape(email_error) +
         "</p>\n";
  }
  m += "<button type=\"submit\">Send the link again</button>\n";
  m += "</form>\n";
  return Page("Get the link again", m);
}

std::string ActivatePage(std::string_view token, bool ask_password,
                         std::string_view password_error) {
  std::string m = Icon("shield", "info");
  m += "<h1>Verify your email</h1>\n";
  if (ask_password) {
    m += "<p class=\"lead\">One last step: enter the password you chose "
         "when you registered, and press the button.</p>\n";
  } else {
    m += "<p class=\"lead\">One last step: press the button to confirm "
         "that this email address is yours.</p>\n";
  }
  m += "<form method=\"post\" action=\"/activate\">\n";
  m += "<input type=\"hidden\" name=\"token\" value=\"";
  m += HtmlEscape(token) + "\">\n";
  if (ask_password) {
    const std::string error(password_error);
    bool focus_taken = false;
    m += "<div class=\"field\">\n";
    m += "<label for=\"password\">Password</label>\n";
    m += "<input name=\"password\" type=\"password\" ";
    m += "autocomplete=\"current-password\" id=\"password\" required ";
    m += "aria-describedby=\"password-error\"";
    m += CloseInput(error, &focus_taken);
    m += FieldError("password-error", error);
    m += "</div>\n";
  }
  m += "<button type=\"submit\">Verify my email</button>\n";
  m += "</form>\n";
  m += "<p class=\"small\">We ask for this press so that mail scanners, "
       "which open every link, cannot verify an address for you.</p>\n";
  return Page("Verify your email", m);
}

namespace {

// A page saying the account is active: "heading", then "lead".
std::string ActivePage(const char* title, const char* heading,
                       const char* lead) {
  return Page(title,
              Icon("check", "ok") + "<h1>" + heading +
                  "</h1>\n<p class=\"lead\">" + lead +
                  "</p>\n<p>There is nothing more to do: you can close this "
                  "page.</p>\n");
}

}  // namespace

std::string VerifiedPage() {
  return ActivePage("Your email is verified", "Your email is verified",
                    "Thank you. Your account is active.");
}

std::string AlreadyVerifiedPage() {
  return ActivePage(
      "Already verified", "Your email was already verified",
      "This address was confirmed before, so your account is active.");
}

std::string ExpiredPage() {
  return Page("This link has expired",
              Icon("clock", "warn") +
                  "<h1>This link has expired</h1>\n"
                  "<p class=\"lead\">Verification links work for a limited "
                  "time only, and this one is too old.</p>\n"
                  "<p>To get a new link, register again with the same email "
                  "address. Your new link will work straight away.</p>\n" +
                  ActionLink("/", "Register again"));
}

std::string NotFoundPage() {
  return Page("Page not found",
              Icon("alert", "warn") +
                  "<h1>Page not found</h1>\n"
                  "<p class=\"lead\">This link or page does not exist.</p>\n"
                  "<p>If you followed a link from an email, check that it "
                  "was copied whole. If it still does not work, register "
                  "again with the same address to get a new link.</p>\n" +
                  ActionLink("/", "Go to the registration page"));
}

std::string ErrorPage(int http_status, std::string_view title,
                      std::string_view message) {
  std::string m = Icon("alert", "warn");
  m += "<p class=\"status\">Error " + std::to_string(http_status) + "</p>\n";
  m += "<h1>" + HtmlEscape(title) + "</h1>\n";
  m += "<p class=\"lead\">" + HtmlEscape(message) + "</p>\n";
  m += ActionLink("/", "Go to the registration page");
  return Page(title, m);
}

}  // namespace reg
