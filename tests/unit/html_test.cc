#include "http/html.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace reg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What every page shares: doctype, viewport, the stylesheet, nothing inline.
void ExpectWellFormedPage(const std::string& page) {
  EXPECT_EQ(page.rfind("<!doctype html>", 0), 0u);
  EXPECT_THAT(page, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(page, HasSubstr("<meta name=\"viewport\" content=\"width=device-"
                              "width, initial-scale=1\">"));
  EXPECT_THAT(page,
              HasSubstr("<link rel=\"stylesheet\" href=\"/static/app.css\">"));
  // Scripts only from /static/, never inline.
  for (auto at = page.find("<script"); at != std::string::npos;
       at = page.find("<script", at + 1)) {
    EXPECT_EQ(
        page.compare(at, 44, "<script src=\"/static/app.js\" defer></script>"),
        0)
        << page.substr(at, 80);
  }
  EXPECT_THAT(page, Not(HasSubstr("<style")));
  EXPECT_THAT(page, Not(HasSubstr("style=")));
  EXPECT_THAT(page, Not(HasSubstr("http")));  // no third-party resource
}

TEST(HtmlEscape, EscapesAllFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
  EXPECT_EQ(HtmlEscape("a&amp;b"), "a&amp;amp;b");
  EXPECT_EQ(HtmlEscape("plain \xC3\xA9 text"), "plain \xC3\xA9 text");
  EXPECT_EQ(HtmlEscape(""), "");
}

TEST(RegisterPage, HoldsTheContractsFormAndInputs) {
  const std::string page = RegisterPage({});
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/register\">"));
  EXPECT_THAT(page, HasSubstr("<input name=\"email\" type=\"email\" "
                              "autocomplete=\"email\" "));
  EXPECT_THAT(page, HasSubstr("<input name=\"password\" type=\"password\" "
                              "autocomplete=\"new-password\" "));
  EXPECT_THAT(page, HasSubstr("<label for=\"email\">"));
  EXPECT_THAT(page, HasSubstr("<label for=\"password\">"));
  EXPECT_THAT(page, HasSubstr("minlength=\"8\""));
  EXPECT_THAT(page, HasSubstr("maxlength=\"256\""));
  EXPECT_THAT(page, HasSubstr("maxlength=\"254\""));
  // The server (or app.js) judges the fields, not the browser's bubbles.
  EXPECT_THAT(page, HasSubstr("<button type=\"submit\" formnovalidate>"));
  EXPECT_THAT(page, Not(HasSubstr("aria-invalid")));
}

TEST(RegisterPage, KeepsTheEmailEscapedNeverRaw) {
  RegisterForm form;
  form.email = "\"><script>alert('x')</script>@example.com";
  form.email_error = "Enter an email address like name@example.com.";
  const std::string page = RegisterPage(form);
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, Not(HasSubstr("\"><script")));
  EXPECT_THAT(page,
              HasSubstr("value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)"
                        "&lt;/script&gt;@example.com\""));
}

TEST(RegisterPage, ShowsEachErrorBesideItsField) {
  RegisterForm form;
  form.email = "bad";
  form.email_error = "Enter <an> email.";
  form.password_error = "Use at least 8 characters.";
  const std::string page = RegisterPage(form);
  EXPECT_THAT(page, HasSubstr("id=\"email-error\" aria-live=\"polite\">"
                              "Enter &lt;an&gt; email.</p>"));
  EXPECT_THAT(page, HasSubstr("id=\"password-error\" aria-live=\"polite\">"
                              "Use at least 8 characters.</p>"));
  EXPECT_THAT(page, HasSubstr("aria-describedby=\"email-error\" "
                              "aria-invalid=\"true\""));
  // The email message sits after the email input and before the password.
  const auto email_input = page.find("<input name=\"email\"");
  const auto email_error = page.find("id=\"email-error\"");
  const auto password_input = page.find("<input name=\"password\"");
  EXPECT_LT(email_input, email_error);
  EXPECT_LT(email_error, password_input);
}

TEST(RegisterPage, NeverContainsThePassword) {
  // RegisterForm has no password field at all; check nothing leaks a value
  // into the password input either.
  const std::string page = RegisterPage({"a@b.c", "", "Use at most 256."});
  const auto input = page.find("<input name=\"password\"");
  ASSERT_NE(input, std::string::npos);
  const std::string tag = page.substr(input, page.find('>', input) - input);
  EXPECT_THAT(tag, Not(HasSubstr("value=")));
}

TEST(ActivatePage, HoldsOneButtonPostingTheEscapedToken) {
  const std::string page = ActivatePage("abc\"><x>&'");
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/activate\">"));
  EXPECT_THAT(page, HasSubstr("<input type=\"hidden\" name=\"token\" "
                              "value=\"abc&quot;&gt;&lt;x&gt;&amp;&#39;\">"));
  EXPECT_THAT(page, HasSubstr(">Verify my email</button>"));
  EXPECT_THAT(page, Not(HasSubstr("<x>")));
}

TEST(ActivatePage, KeepsABase64UrlTokenVerbatim) {
  const std::string token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg";
  EXPECT_THAT(ActivatePage(token),
              HasSubstr("name=\"token\" value=\"" + token + "\">"));
}

TEST(StaticPages, SaySomethingUsefulAndAreWellFormed) {
  ExpectWellFormedPage(SentPage());
  EXPECT_THAT(SentPage(), HasSubstr("Check your inbox"));
  EXPECT_THAT(SentPage(), HasSubstr("register again"));
  ExpectWellFormedPage(VerifiedPage());
  EXPECT_THAT(VerifiedPage(), HasSubstr("Your email is verified"));
  ExpectWellFormedPage(ExpiredPage());
  EXPECT_THAT(ExpiredPage(), HasSubstr("expired"));
  EXPECT_THAT(ExpiredPage(), HasSubstr("<a href=\"/\""));
  ExpectWellFormedPage(NotFoundPage());
  EXPECT_THAT(NotFoundPage(), HasSubstr("not found"));
}

TEST(ErrorPage, EscapesTitleAndMessage) {
  const std::string page = ErrorPage(429, "Too <many>", "Wait & retry.");
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("429"));
  EXPECT_THAT(page, HasSubstr("<title>Too &lt;many&gt;</title>"));
  EXPECT_THAT(page, HasSubstr("Wait &amp; retry."));
  EXPECT_THAT(page, Not(HasSubstr("<many>")));
}

}  // namespace
}  // namespace reg
