#include "html.h"

#include <string>

#include "form.h"

namespace reg {
namespace {

// The whole document around "main", the already-escaped content of <main>.
std::string Page(std::string_view title, const std::string& main) {
  std::string out;
  out.reserve(main.size() + 512);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n";
  out += "<meta charset=\"utf-8\">\n";
  out +=
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n";
  out += "<title>" + HtmlEscape(title) + "</title>\n";
  out += "<link rel=\"stylesheet\" href=\"/static/app.css\">\n";
  out += "</head>\n<body>\n<main class=\"card\">\n";
  out += main;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

// A heading and one paragraph of plain text, both escaped.
std::string Message(std::string_view title, std::string_view text) {
  return "<h1>" + HtmlEscape(title) + "</h1>\n<p>" + HtmlEscape(text) +
         "</p>\n";
}

// The message element beside a field. It is always present, so that
// aria-describedby always names an element; CSS hides it when empty.
std::string FieldError(const char* id, const std::string& message) {
  return std::string("<p class=\"error\" id=\"") + id +
         "\" aria-live=\"polite\">" + HtmlEscape(message) + "</p>\n";
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
  // Closes an input whose value the server rejected.
  static constexpr char kInvalid[] = " aria-invalid=\"true\">\n";
  std::string m = "<h1>Create your account</h1>\n";
  if (!form.form_error.empty()) {
    m += "<p class=\"form-error\" id=\"form-error\" role=\"alert\">" +
         HtmlEscape(form.form_error) + "</p>\n";
  }
  m += "<form method=\"post\" action=\"/register\">\n";
  m += "<div class=\"field\">\n";
  m += "<label for=\"email\">Email address</label>\n";
  m += "<input name=\"email\" type=\"email\" autocomplete=\"email\" ";
  m += "id=\"email\" value=\"" + HtmlEscape(form.email) + "\" required ";
  m += "maxlength=\"" + std::to_string(kMaxEmailChars) + "\" ";
  m += "autocapitalize=\"none\" spellcheck=\"false\" ";
  m += "aria-describedby=\"email-error\"";
  m += form.email_error.empty() ? ">\n" : kInvalid;
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
  m += form.password_error.empty() ? ">\n" : kInvalid;
  m += "<p class=\"hint\" id=\"password-hint\">8 to 256 characters; "
       "spaces are fine.</p>\n";
  m += FieldError("password-error", form.password_error);
  m += "</div>\n";
  m += "<button type=\"submit\">Create account</button>\n</form>\n";
  m += "<p class=\"small\">We will send you a link to confirm your email "
       "address.</p>\n";
  return Page("Create your account", m);
}

std::string SentPage() {
  return Page("Check your inbox",
              "<h1>Check your inbox</h1>\n"
              "<p>We sent a link to the email address you gave. Open it to "
              "confirm your address.</p>\n"
              "<p>The link works for a limited time. If it does not arrive "
              "or has expired, <a href=\"/\">register again</a> with the same "
              "address and we will send a new link.</p>\n");
}

std::string ActivatePage(std::string_view token) {
  std::string m = "<h1>Verify your email</h1>\n";
  m += "<p>Press the button to confirm your email address.</p>\n";
  m += "<form method=\"post\" action=\"/activate\">\n";
  m += "<input type=\"hidden\" name=\"token\" value=\"";
  m += HtmlEscape(token) + "\">\n";
  m += "<button type=\"submit\">Verify my email</button>\n";
  m += "</form>\n";
  return Page("Verify your email", m);
}

std::string VerifiedPage() {
  return Page("Your email is verified",
              Message("Your email is verified",
                      "Thank you. Your account is now active."));
}

std::string ExpiredPage() {
  return Page("This link has expired",
              "<h1>This link has expired</h1>\n"
              "<p>Verification links work for a limited time only.</p>\n"
              "<p>To get a new link, <a href=\"/\">register again</a> with "
              "the same email address.</p>\n");
}

std::string NotFoundPage() {
  return Page("Page not found",
              "<h1>Page not found</h1>\n"
              "<p>This link or page does not exist. If you followed a link "
              "from an email, check that it was copied whole.</p>\n"
              "<p><a href=\"/\">Go to the registration page</a></p>\n");
}

std::string ErrorPage(int http_status, std::string_view title,
                      std::string_view message) {
  std::string m = "<p class=\"status\">Error ";
  m += std::to_string(http_status) + "</p>\n";
  m += Message(title, message);
  m += "<p><a href=\"/\">Go to the registration page</a></p>\n";
  return Page(title, m);
}

}  // namespace reg
