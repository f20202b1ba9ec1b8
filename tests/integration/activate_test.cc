// Contract §2, GET and POST /activate against the real stack: the link in
// the mail, what each kind of token gets, and the expired link.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Well-formed (43 characters of base64url) but never issued.
const std::string kUnknownToken(43, 'A');

// The activation of another browser than the registering one: with the
// password chosen at that registration (kPassword).
std::string JsonToken(const std::string& token) {
  return nlohmann::json{{"token", token}, {"password", kPassword}}.dump();
}
std::string FormToken(const std::string& token) {
  return "token=" + token + "&password=a+good+password";
}

class ActivateTest : public StackSuite {
 protected:
  static void SetUpTestSuite() { StartStack(); }

  static std::vector<std::string> MailsTo(const std::string& email) {
    return reg::testing::MailsTo(sink(), email);
  }
  // Registers "email" and returns the token of the verification mail that
  // follows, "" when none arrives. The address's mails before it are skipped.
  static std::string RegisterForToken(const std::string& email) {
    const size_t before = MailsTo(email).size();
    HttpResponse r = stack().Register(email, kPassword);
    EXPECT_EQ(r.status, 202) << r.error << r.body;
    if (!WaitFor([&] { return MailsTo(email).size() > before; })) return "";
    return TokenIn(MailsTo(email)[before]);
  }
  // "1" while the account of "email" is not verified, "0" once it is.
  static std::string Unverified(const std::string& email) {
    std::vector<std::string> rows = stack().Query(
        "SELECT CASE WHEN verified_ms IS NULL THEN 1 ELSE 0 END FROM users "
        "WHERE email_norm = '" +
        email + "'");
    return rows.empty() ? "no account" : rows[0];
  }
};

// --- GET /activate ---------------------------------------------------------

TEST_F(ActivateTest, GetWithAValidTokenShowsOneButtonAndChangesNothing) {
  const std::string token = RegisterForToken("get-valid@example.com");
  ASSERT_FALSE(token.empty());
  for (int i = 0; i < 2; i++) {  // a mail scanner, then the user
    HttpResponse r = stack().Get("/activate?token=" + token);
    ASSERT_EQ(r.status, 200) << r.error << r.body;
    EXPECT_THAT(r.Header("content-type"), StartsWith("text/html"));
    EXPECT_THAT(r.body,
                HasSubstr(R"(<form method="post" action="/activate">)"));
    EXPECT_THAT(r.body,
                HasSubstr(R"(<input type="hidden" name="token" value=")" +
                          token + R"(">)"));
  }
  EXPECT_EQ(Unverified("get-valid@example.com"), "1");
}

TEST_F(ActivateTest, GetWithAnUnknownOrMalformedTokenIs404) {
  for (const std::string& path :
       {"/activate?token=" + kUnknownToken, std::string("/activate?token=abc"),
        std::string("/activate?token=../../etc"),
        std::string("/activate?token=%2e%2e%2f%2e%2e%2fetc"),
        std::string("/activate?token="), std::string("/activate")}) {
    HttpResponse r = stack().Get(path);
    EXPECT_EQ(r.status, 404) << path << "\n" << r.error << r.body;
  }
}

// --- POST /activate --------------------------------------------------------

TEST_F(ActivateTest, FormPostOfAValidTokenVerifiesTheAccount) {
  const std::string token = RegisterForToken("post-form@example.com");
  ASSERT_FALSE(token.empty());
  HttpResponse r = stack().Post("/activate", FormToken(token), {kForm});
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_THAT(r.Header("content-type"), StartsWith("text/html"));
  EXPECT_THAT(Lower(r.body), HasSubstr("verified"));
  EXPECT_EQ(Unverified("post-form@example.com"), "0");
}

TEST_F(ActivateTest, JsonPostOfAValidTokenAnswersActive) {
  const std::string token = RegisterForToken("post-json@example.com");
  ASSERT_FALSE(token.empty());
  HttpResponse r = stack().Post("/activate", JsonToken(token), {kJson});
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_THAT(r.Header("content-type"), StartsWith("application/json"));
  EXPECT_EQ(r.body, R"({"status":"active"})");
  EXPECT_EQ(Unverified("post-json@example.com"), "0");

  // A form post that asks for JSON gets the same answer.
  const std::string token2 = RegisterForToken("post-form-json@example.com");
  ASSERT_FALSE(token2.empty());
  HttpResponse f =
      stack().Post("/activate", FormToken(token2), {kForm, kAcceptJson});
  EXPECT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(f.body, R"({"status":"active"})");
}

TEST_F(ActivateTest, UsedTokenAnswers200AgainForPostAndGet) {
  const std::string token = RegisterForToken("double-click@example.com");
  ASSERT_FALSE(token.empty());
  HttpResponse first = stack().Post("/activate", FormToken(token), {kForm});
  ASSERT_EQ(first.status, 200);
  EXPECT_THAT(first.body, HasSubstr("Your email is verified"));
  HttpResponse form = stack().Post("/activate", FormToken(token), {kForm});
  EXPECT_EQ(form.status, 200) << form.body;
  EXPECT_THAT(form.body, HasSubstr("already verified"));
  HttpResponse json = stack().Post("/activate", JsonToken(token), {kJson});
  EXPECT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(json.body, R"({"status":"active"})");
  EXPECT_EQ(Unverified("double-click@example.com"), "0");

  HttpResponse get = stack().Get("/activate?token=" + token);
  EXPECT_EQ(get.status, 200) << get.body;
  EXPECT_THAT(get.body,
              HasSubstr(R"(<input type="hidden" name="token" value=")" + token +
                        R"(">)"));
}

TEST_F(ActivateTest, PostOfAnUnknownOrMalformedTokenIs404) {
  for (const std::string& token : {kUnknownToken, std::string("abc"),
                                   std::string("../../etc"), std::string("")}) {
    HttpResponse form = stack().Post("/activate", FormToken(token), {kForm});
    EXPECT_EQ(form.status, 404) << "form " << token << ": " << form.body;
    HttpResponse json = stack().Post("/activate", JsonToken(token), {kJson});
    EXPECT_EQ(json.status, 404) << "json " << token << ": " << json.body;
    EXPECT_THAT(json.Header("content-type"), StartsWith("application/json"));
  }
  // No token field at all.
  EXPECT_EQ(stack().Post("/activate", "other=1", {kForm}).status, 404);
  EXPECT_EQ(stack().Post("/activate", "{}", {kJson}).status, 404);
}

TEST_F(ActivateTest, CrossSitePostIs403AndVerifiesNothing) {
  const std::string token = RegisterForToken("cross-site@example.com");
  ASSERT_FALSE(token.empty());
  for (const std::string& header :
       {std::string("Sec-Fetch-Site: cross-site"),
        std::string("Origin: https://evil.example")}) {
    HttpResponse form =
        stack().Post("/activate", FormToken(token), {kForm, header});
    EXPECT_EQ(form.status, 403) << header << ": " << form.body;
    EXPECT_THAT(form.Header("content-type"), StartsWith("text/html"));
    HttpResponse json =
        stack().Post("/activate", JsonToken(token), {kJson, header});
    EXPECT_EQ(json.status, 403) << header << ": " << json.body;
    EXPECT_THAT(json.Header("content-type"), StartsWith("application/json"));
  }
  EXPECT_EQ(Unverified("cross-site@example.com"), "1");
  // The stack's own origin may post it.
  const std::string own =
      "Origin: http://127.0.0.1:" + std::to_string(stack().port());
  EXPECT_EQ(stack().Post("/activate", FormToken(token), {kForm, own}).status,
            200);
  EXPECT_EQ(Unverified("cross-site@example.com"), "0");
}

TEST_F(ActivateTest, OtherMethodIs405WithAllow) {
  for (const char* method : {"PUT", "DELETE"}) {
    HttpResponse r = Http(method, stack().Url("/activate"),
                          "token=" + kUnknownToken, {kForm});
    EXPECT_EQ(r.status, 405) << method << ": " << r.body;
    EXPECT_THAT(r.Header("allow"), HasSubstr("POST")) << method;
    EXPECT_THAT(r.Header("allow"), HasSubstr("GET")) << method;
  }
}

// --- expired links ---------------------------------------------------------

// Links that live one second.
class ActivateExpiryTest : public ActivateTest {
 protected:
  static void SetUpTestSuite() { StartStack({{"TOKEN_TTL_S", "1"}}); }
};

TEST_F(ActivateExpiryTest,
       ExpiredLinkIs410AndRegisteringAgainMailsOneThatWorks) {
  const std::string email = "expired@example.com";
  const std::string old_token = RegisterForToken(email);
  ASSERT_FALSE(old_token.empty());
  // Waits for the second to pass; the answers themselves are the assertions.
  HttpResponse get;
  ASSERT_TRUE(WaitFor(
      [&] {
        get = stack().Get("/activate?token=" + old_token);
        return get.status == 410;
      },
      std::chrono::seconds(10)))
      << get.status << " " << get.body;
  EXPECT_THAT(get.Header("content-type"), StartsWith("text/html"));
  // Its way out: the "send it again" form, and the registration page.
  EXPECT_THAT(get.body,
              HasSubstr(R"(<form method="post" action="/register/resend")"));
  EXPECT_THAT(get.body, HasSubstr(R"(href="/")"));

  HttpResponse form = stack().Post("/activate", FormToken(old_token), {kForm});
  EXPECT_EQ(form.status, 410) << form.body;
  EXPECT_THAT(form.body, HasSubstr(R"(action="/register/resend")"));
  EXPECT_EQ(stack().Post("/activate", JsonToken(old_token), {kJson}).status,
            410);
  EXPECT_EQ(Unverified(email), "1");

  // The way out the page names: register again, use the new link at once.
  const std::string new_token = RegisterForToken(email);
  ASSERT_FALSE(new_token.empty());
  EXPECT_NE(new_token, old_token);
  EXPECT_EQ(stack().Get("/activate?token=" + new_token).status, 200);
  HttpResponse activated =
      stack().Post("/activate", FormToken(new_token), {kForm});
  EXPECT_EQ(activated.status, 200) << activated.body;
  EXPECT_EQ(Unverified(email), "0");
  EXPECT_EQ(stack().Get("/activate?token=" + old_token).status, 410);
}

}  // namespace
}  // namespace reg::testing
