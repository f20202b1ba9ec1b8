#include "http/html.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "testutil.h"

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

TEST(RegisterPage, HoldsTheContractsFormAndInputs) {
  const std::string page = RegisterPage(English(), {});
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/register\" "
                              "data-messages=\""));
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
  const std::string page = RegisterPage(English(), form);
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
  const std::string page = RegisterPage(English(), form);
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
  const std::string page =
      RegisterPage(English(), {"a@b.c", "", "Use at most 256."});
  const auto input = page.find("<input name=\"password\"");
  ASSERT_NE(input, std::string::npos);
  const std::string tag = page.substr(input, page.find('>', input) - input);
  EXPECT_THAT(tag, Not(HasSubstr("value=")));
}

TEST(ActivatePage, HoldsOneButtonPostingTheEscapedToken) {
  const std::string page = ActivatePage(English(), "abc\"><x>&'");
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/activate\">"));
  EXPECT_THAT(page, HasSubstr("<input type=\"hidden\" name=\"token\" "
                              "value=\"abc&quot;&gt;&lt;x&gt;&amp;&#39;\">"));
  EXPECT_THAT(page, HasSubstr(">Verify my email</button>"));
  EXPECT_THAT(page, Not(HasSubstr("<x>")));
}

TEST(ActivatePage, KeepsABase64UrlTokenVerbatim) {
  const std::string token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg";
  EXPECT_THAT(ActivatePage(English(), token),
              HasSubstr("name=\"token\" value=\"" + token + "\">"));
}

TEST(StaticPages, SaySomethingUsefulAndAreWellFormed) {
  ExpectWellFormedPage(SentPage(English()));
  EXPECT_THAT(SentPage(English()), HasSubstr("Check your inbox"));
  EXPECT_THAT(SentPage(English()), HasSubstr("Send the link again"));
  ExpectWellFormedPage(VerifiedPage(English()));
  EXPECT_THAT(VerifiedPage(English()), HasSubstr("Your email is verified"));
  ExpectWellFormedPage(ExpiredPage(English()));
  EXPECT_THAT(ExpiredPage(English()), HasSubstr("expired"));
  EXPECT_THAT(ExpiredPage(English()), HasSubstr("<a href=\"/\""));
  ExpectWellFormedPage(NotFoundPage(English()));
  EXPECT_THAT(NotFoundPage(English()), HasSubstr("not found"));
}

TEST(SentPage, AMailThatNeverCameOffersNoLinkNoCodeAndNoWait) {
  ReceiptView v;
  v.receipt = "AbCdEfGhIjKlMnOpQrStUv";
  v.known = true;
  v.final = true;
  v.code_form = true;
  for (const char* state : {"refused", "bounced", "not_sent"}) {
    v.state = state;
    const std::string page = SentPage(English(), &v);
    ExpectWellFormedPage(page);
    EXPECT_THAT(page, Not(HasSubstr("We sent a link"))) << state;
    EXPECT_THAT(page, Not(HasSubstr("one-time-code"))) << state;
    EXPECT_THAT(page, Not(HasSubstr("minute or two"))) << state;
    EXPECT_THAT(page, HasSubstr("Send the link again")) << state;
  }
  v.state = "accepted";
  EXPECT_THAT(SentPage(English(), &v), HasSubstr("We sent a link"));
  EXPECT_THAT(SentPage(English(), &v), HasSubstr("one-time-code"));
}

// MAIL_CAP_TOTAL's delay is ours, not the mail server's: the page says
// so, with the time the mail goes.
TEST(SentPage, AMailTheDomainCapDelayedSaysItWaitsItsTurn) {
  ReceiptView v;
  v.receipt = "AbCdEfGhIjKlMnOpQrStUv";
  v.known = true;
  v.state = "delayed";
  v.detail = "mail_cap";
  v.retry_at_s = 1'700'003'600;
  v.final = true;  // no receipt.js: ExpectWellFormedPage knows app.js only
  EXPECT_EQ(ReceiptMessageKey(v), "receipt.delayed_cap");
  const std::string page = SentPage(English(), &v);
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("role=\"status\">Many mails are going to "
                              "your address&#39;s domain"));
  v.detail = "";
  EXPECT_EQ(ReceiptMessageKey(v), "receipt.delayed");
}

TEST(SentPage, AMailThatNeverCameSaysWhatHappenedInItsTitleAndHeading) {
  ReceiptView v;
  v.receipt = "AbCdEfGhIjKlMnOpQrStUv";
  v.known = true;
  v.final = true;
  for (const std::string& tag : TestCatalogues().tags()) {
    const Messages& m = TestCatalogues().Get(tag);
    for (const std::string state : {"refused", "bounced", "not_sent"}) {
      SCOPED_TRACE(tag + " " + state);
      v.state = state;
      const std::string page = SentPage(m, &v);
      const std::string title = m.Html("sent.title_" + state);
      EXPECT_NE(m.Text("sent.title_" + state), "sent.title_" + state);
      EXPECT_NE(title, m.Html("sent.title"));
      EXPECT_THAT(page, HasSubstr("<title>" + title + "</title>"));
      EXPECT_THAT(page, HasSubstr("<h1>" + title + "</h1>"));
      EXPECT_THAT(page, Not(HasSubstr(m.Html("sent.title") + "<")));
    }
    v.state = "accepted";
    EXPECT_THAT(SentPage(m, &v), HasSubstr("<h1>" + m.Html("sent.title")));
  }
  EXPECT_EQ(SentTitleKey(nullptr), "sent.title");
  v.known = false;
  v.state = "bounced";
  EXPECT_EQ(SentTitleKey(&v), "sent.title");
}

TEST(SentPage, ABouncedMailSaysCheckTheAddressFor51xElseTryLater) {
  ReceiptView v;
  v.receipt = "AbCdEfGhIjKlMnOpQrStUv";
  v.known = true;
  v.final = true;
  v.code_form = true;  // the mail had a code; it never arrived
  v.state = "bounced";
  for (const std::string& tag : TestCatalogues().tags()) {
    SCOPED_TRACE(tag);
    const Messages& m = TestCatalogues().Get(tag);
    v.detail = "5.1.1";
    std::string page = SentPage(m, &v);
    ExpectWellFormedPage(page);
    EXPECT_THAT(page, HasSubstr("<h1>" + m.Html("sent.title_bounced") +
                                "</h1>"));
    EXPECT_THAT(page, HasSubstr("role=\"status\">" +
                                m.Html("receipt.bounced_address",
                                       {{"code", "5.1.1"}}) +
                                "</p>"));
    EXPECT_THAT(page, Not(HasSubstr("one-time-code")));
    EXPECT_THAT(page, Not(HasSubstr(m.Html("sent.tip_wait"))));
    EXPECT_THAT(page, HasSubstr("action=\"/register/resend\""));
    v.detail = "5.7.1";
    page = SentPage(m, &v);
    EXPECT_THAT(page, HasSubstr("role=\"status\">" +
                                m.Html("receipt.bounced", {{"code", "5.7.1"}}) +
                                "</p>"));
  }
}

TEST(SentPage, TheScriptGetsTheTitlesAndTheServersDateFormat) {
  ReceiptView v;
  v.receipt = "AbCdEfGhIjKlMnOpQrStUv";
  v.known = true;
  v.state = "queued";
  const Messages& fr = TestCatalogues().Get("fr");
  const std::string page = SentPage(fr, &v);
  const auto at = page.find("data-messages=\"");
  ASSERT_NE(at, std::string::npos);
  std::string value = page.substr(at + 15, page.find('"', at + 15) - at - 15);
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"&quot;", "\""}, {"&#39;", "'"},
        {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (auto p = value.find(from); p != std::string::npos;
         p = value.find(from, p + to.size())) {
      value.replace(p, from.size(), to);
    }
  }
  const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << value;
  EXPECT_EQ(j.value("date.format", ""), fr.Text("date.format"));
  ASSERT_TRUE(j.contains("date.months"));
  EXPECT_EQ(j["date.months"].get<std::vector<std::string>>(), fr.months());
  for (const char* key : {"sent.title", "sent.title_refused",
                          "sent.title_bounced", "sent.title_not_sent",
                          "receipt.delayed"}) {
    EXPECT_EQ(j.value(key, ""), fr.Text(key)) << key;
  }
}

TEST(SentPage, ACodeFormPostsItsCodeReceiptWhenGivenOne) {
  ReceiptView v;
  v.receipt = "ResendReceiptResend001";
  v.known = true;
  v.state = "accepted";
  v.final = true;
  v.code_form = true;
  v.code_receipt = "OwnReceiptOwnReceipt01";
  const std::string page = SentPage(English(), &v);
  EXPECT_THAT(page, HasSubstr("<input type=\"hidden\" name=\"receipt\" "
                              "value=\"OwnReceiptOwnReceipt01\">"));
  EXPECT_THAT(page, Not(HasSubstr("name=\"receipt\" "
                                  "value=\"ResendReceiptResend001\"")));
}

TEST(SentPage, HasTheCodeFormOnlyForAReceiptThatTakesACode) {
  ReceiptView v;
  v.receipt = "AbCdEfGhIjKlMnOpQrStUv";
  v.known = true;
  v.state = "accepted";
  v.final = true;  // no receipt.js: ExpectWellFormedPage knows app.js only
  EXPECT_THAT(SentPage(English(), &v), Not(HasSubstr("one-time-code")));
  v.code_form = true;
  const std::string page = SentPage(English(), &v);
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/activate\""));
  EXPECT_THAT(page, HasSubstr("<input type=\"hidden\" name=\"receipt\" "
                              "value=\"AbCdEfGhIjKlMnOpQrStUv\">"));
  EXPECT_THAT(page,
              HasSubstr("<label for=\"code\">Code from the mail</label>"));
  EXPECT_THAT(page, HasSubstr("<input name=\"code\" id=\"code\" type=\"text\" "
                              "inputmode=\"numeric\" "
                              "autocomplete=\"one-time-code\""));
  // A wrong code: the error beside the field, escaped, the field marked.
  v.code_error = "<wrong> & \"again\"";
  const std::string wrong = SentPage(English(), &v);
  EXPECT_THAT(wrong, HasSubstr("&lt;wrong&gt; &amp; &quot;again&quot;</p>"));
  EXPECT_THAT(wrong, Not(HasSubstr("<wrong>")));
  EXPECT_THAT(wrong, HasSubstr("aria-invalid=\"true\""));
  EXPECT_THAT(wrong, HasSubstr("<title>Error: Check your inbox</title>"));
  for (const char* tag : {"de", "fr"}) {
    const Messages& m = TestCatalogues().Get(tag);
    EXPECT_THAT(SentPage(m, &v), HasSubstr(m.Html("code.label"))) << tag;
  }
}

TEST(CodeTooManyPage, SaysTheLinkStillWorks) {
  const std::string page = CodeTooManyPage(English());
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("Too many wrong codes"));
  EXPECT_THAT(page, HasSubstr("The link in the mail still works"));
}

TEST(ErrorPage, EscapesTitleAndMessage) {
  const std::string page =
      ErrorPage(English(), 429, "Too <many>", "Wait & retry.");
  ExpectWellFormedPage(page);
  EXPECT_THAT(page, HasSubstr("429"));
  EXPECT_THAT(page, HasSubstr("<title>Too &lt;many&gt;</title>"));
  EXPECT_THAT(page, HasSubstr("Wait &amp; retry."));
  EXPECT_THAT(page, Not(HasSubstr("<many>")));
}

// The "send it again" form of contract section 2, in one page.
void ExpectResendForm(const std::string& page) {
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" "
                              "action=\"/register/resend\""));
  const auto form = page.find("action=\"/register/resend\"");
  const auto end = page.find("</form>", form);
  ASSERT_NE(end, std::string::npos);
  const std::string inside = page.substr(form, end - form);
  EXPECT_THAT(inside, HasSubstr("<input name=\"email\" type=\"email\" "
                                "autocomplete=\"email\" "));
  EXPECT_THAT(inside, HasSubstr("<button type=\"submit\">"));
  EXPECT_THAT(inside, HasSubstr("<label for=\"resend-email\">"));
}

TEST(ResendForm, IsOnTheSentAndExpiredPagesInEveryLanguage) {
  for (const std::string& tag : TestCatalogues().tags()) {
    SCOPED_TRACE(tag);
    const Messages& m = TestCatalogues().Get(tag);
    ExpectResendForm(SentPage(m));
    ExpectResendForm(ExpiredPage(m));
  }
}

TEST(Pages, SayTheirLanguageAndUseItsWords) {
  const Messages& de = TestCatalogues().Get("de");
  const Messages& fr = TestCatalogues().Get("fr");
  EXPECT_THAT(SentPage(English()), HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(SentPage(de), HasSubstr("<html lang=\"de\">"));
  EXPECT_THAT(RegisterPage(de, {}), HasSubstr("<h1>Konto erstellen</h1>"));
  EXPECT_THAT(VerifiedPage(fr), HasSubstr("<html lang=\"fr\">"));
  EXPECT_THAT(ExpiredPage(fr), HasSubstr("Ce lien a expir\xC3\xA9"));
  EXPECT_THAT(NotFoundPage(de), HasSubstr("Seite nicht gefunden"));
  const std::string resend = ResendPage(de, "a<b", "Fehler & Co.");
  EXPECT_THAT(resend, HasSubstr("<html lang=\"de\">"));
  EXPECT_THAT(resend, HasSubstr("<h1>Link erneut anfordern</h1>"));
  EXPECT_THAT(resend, HasSubstr("value=\"a&lt;b\""));
  EXPECT_THAT(resend, HasSubstr(">Fehler &amp; Co.</p>"));
}

TEST(RegisterPage, CarriesTheScriptsMessagesEscapedInItsLanguage) {
  const std::string page = RegisterPage(TestCatalogues().Get("de"), {});
  const auto at = page.find("data-messages=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string value =
      page.substr(at + 15, page.find('"', at + 15) - at - 15);
  EXPECT_THAT(value, HasSubstr("&quot;field.email_empty&quot;:&quot;Geben "
                               "Sie Ihre E-Mail-Adresse ein.&quot;"));
  EXPECT_THAT(value, HasSubstr("&quot;plural_rule&quot;:&quot;one&quot;"));
  EXPECT_THAT(value, Not(HasSubstr("<")));
}

}  // namespace
}  // namespace reg
