// Contract §2, POST /register/resend against the real stack: always the
// accepted answer for a valid address; the mail that follows for an
// unverified, a verified and an unknown address; the same limits and
// rules as POST /register.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::HasSubstr;


class ResendTest : public StackSuite {
 protected:
  // MAIL_CAP 3 (an hour, per mailbox): every test here mails an address
  // at most twice, but the cap's own.
  static void SetUpTestSuite() { StartStack({{"MAIL_CAP", "3"}}); }

  static std::vector<std::string> MailsTo(const std::string& email) {
    return reg::testing::MailsTo(sink(), email);
  }
  static HttpResponse ResendJson(const std::string& email) {
    return stack().Post("/register/resend",
                        nlohmann::json{{"email", email}}.dump(), {kJson});
  }
  // Registers "email" and waits for its first mail.
  static void RegisterAndWait(const std::string& email,
                              const std::string& password = kPassword) {
    const size_t before = MailsTo(email).size();
    ASSERT_EQ(stack().Register(email, password).status, 202);
    ASSERT_TRUE(WaitFor([&] { return MailsTo(email).size() > before; }));
  }
  // GET /register/status?r=R's state ("" and a failure unless 200).
  static std::string ReceiptState(const std::string& receipt,
                                  std::string* detail = nullptr) {
    HttpResponse r = stack().Get("/register/status?r=" + receipt);
    EXPECT_EQ(r.status, 200) << r.body;
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object()) return "";
    if (detail != nullptr && j["detail"].is_string()) *detail = j["detail"];
    return j["state"].is_string() ? j["state"].get<std::string>() : "";
  }
  static long long JobsTo(const std::string& email) {
    return std::stoll(
        stack()
            .Query("SELECT count(*) FROM outbox WHERE rcpt = '" + email + "'")
            .at(0));
  }
};

TEST_F(ResendTest, AnUnverifiedAddressGetsANewLinkAndTheOldOneStillWorks) {
  const std::string email = "resend-unverified@example.com";
  RegisterAndWait(email);
  const std::string first = TokenIn(MailsTo(email).at(0));
  HttpResponse r = ResendJson(email);
  EXPECT_EQ(r.status, 202);
  EXPECT_NE(AcceptedReceipt(r.body), "") << r.body;
  ASSERT_TRUE(WaitFor([&] { return MailsTo(email).size() == 2; }));
  const std::string second = TokenIn(MailsTo(email).at(1));
  ASSERT_FALSE(second.empty());
  EXPECT_NE(second, first);
  EXPECT_EQ(stack().Get("/activate?token=" + first).status, 200);
  EXPECT_EQ(stack().Post("/activate", "token=" + second + "&password=a+good+password", {kForm}).status, 200);
  EXPECT_EQ(stack().Query("SELECT verified_ms IS NOT NULL FROM users WHERE "
                          "email = '" +
                          email + "'"),
            std::vector<std::string>{"1"});
}

TEST_F(ResendTest, AVerifiedAddressGetsTheNotice) {
  const std::string email = "resend-verified@example.com";
  RegisterAndWait(email);
  ASSERT_EQ(
      stack()
          .Post("/activate",
                "token=" + TokenIn(MailsTo(email).at(0)) + "&password=a+good+password",
                {kForm})
          .status,
      200);
  ASSERT_EQ(ResendJson(email).status, 202);
  ASSERT_TRUE(WaitFor([&] { return MailsTo(email).size() == 2; }));
  EXPECT_EQ(TokenIn(MailsTo(email).at(1)), "");  // no link in the notice
}

TEST_F(ResendTest, AnUnknownAddressGetsTheSameAnswerAndTheNoAccountMail) {
  const std::string known = "resend-known@example.com";
  const std::string nobody = "resend-nobody@example.com";
  RegisterAndWait(known);
  const HttpResponse a = ResendJson(known);
  const HttpResponse b =
      stack().Post("/register/resend", nlohmann::json{{"email", nobody}}.dump(),
                   {kJson, "Accept-Language: fr"});
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(AnswerShape(a), AnswerShape(b));
  // The short mail, in the reader's language, with a link to register and
  // none that activates anything; its receipt follows it.
  ASSERT_TRUE(WaitFor([&] { return MailsTo(nobody).size() == 1; }));
  const std::string mail = MailsTo(nobody).at(0);
  EXPECT_EQ(MailHeader(mail, "Content-Language"), "fr");
  EXPECT_THAT(mail, HasSubstr("text/html"));
  EXPECT_THAT(mail, HasSubstr(stack().Url("/") + "\r\n"));  // to register
  EXPECT_EQ(TokenIn(mail), "");
  const std::string receipt = AcceptedReceipt(b.body);
  EXPECT_TRUE(WaitFor([&] { return ReceiptState(receipt) == "accepted"; }))
      << ReceiptState(receipt);
  EXPECT_EQ(stack().Query("SELECT count(*) FROM users WHERE email = '" +
                          nobody + "'"),
            std::vector<std::string>{"0"});
  // A form post is sent to the "check your inbox" page.
  HttpResponse form = stack().Post(
      "/register/resend", "email=resend-nobody%40example.com", {kForm});
  EXPECT_EQ(form.status, 303);
  EXPECT_NE(SentReceipt(form.Header("location")), "")
      << form.Header("location");
}

// MAIL_CAP counts every kind of mail to a mailbox: a fourth within the
// hour, whatever its kind and however the address is spelt, is not sent.
TEST_F(ResendTest, AFourthMailOfAnyKindToAMailboxWithinTheHourIsNotSent) {
  const std::string box = "resend-cap@example.com";
  ASSERT_EQ(ResendJson(box).status, 202);                       // no account
  ASSERT_EQ(stack().Register("Resend-Cap+a@example.com", kPassword).status,
            202);                                               // verify
  ASSERT_EQ(ResendJson("resend-cap+a@example.com").status, 202);  // verify
  const HttpResponse fourth = ResendJson("resend-cap+b@example.com");
  ASSERT_EQ(fourth.status, 202);
  std::string detail;
  EXPECT_EQ(ReceiptState(AcceptedReceipt(fourth.body), &detail), "not_sent");
  EXPECT_EQ(detail, "mail_cap");
  EXPECT_EQ(JobsTo("resend-cap+b@example.com"), 0);
  EXPECT_EQ(std::stoll(stack()
                           .Query("SELECT count(*) FROM outbox WHERE "
                                  "mailbox = 'resend-cap@example.com'")
                           .at(0)),
            3);
}

TEST_F(ResendTest, AnInvalidAddressIs422AsForARegistration) {
  HttpResponse json = stack().Post("/register/resend", R"({"email":"nope"})",
                                   {kJson, kAcceptJson});
  EXPECT_EQ(json.status, 422);
  nlohmann::json body = nlohmann::json::parse(json.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << json.body;
  EXPECT_TRUE(body["errors"].contains("email"));
  EXPECT_FALSE(body["errors"].contains("password"));
  HttpResponse html =
      stack().Post("/register/resend", "email=%3Cb%3Enope", {kForm});
  EXPECT_EQ(html.status, 422);
  EXPECT_THAT(html.body, HasSubstr("action=\"/register/resend\""));
  EXPECT_THAT(html.body, HasSubstr("&lt;b&gt;nope"));
  EXPECT_EQ(html.body.find("<b>nope"), std::string::npos);
}

TEST_F(ResendTest, TheRulesOfRegisterHold) {
  const std::string body = "email=resend-rules%40example.com";
  EXPECT_EQ(
      stack()
          .Post("/register/resend", body, {kForm, "Sec-Fetch-Site: cross-site"})
          .status,
      403);
  EXPECT_EQ(stack()
                .Post("/register/resend", body,
                      {kForm, "Origin: https://evil.example"})
                .status,
            403);
  HttpResponse get = stack().Get("/register/resend");
  EXPECT_EQ(get.status, 405);
  EXPECT_THAT(get.Header("allow"), HasSubstr("POST"));
  EXPECT_EQ(stack()
                .Post("/register/resend", body, {"Content-Type: text/plain"})
                .status,
            415);
  EXPECT_EQ(stack()
                .Post("/register/resend",
                      "email=" + std::string(17 * 1024, 'a'), {kForm})
                .status,
            413);
  EXPECT_EQ(stack().Post("/register/resend", "email=%zz", {kForm}).status, 400);
}

// The README's way for the site's app to check a password against the
// stored hash (tools/check_password.py, Python's standard library only).
TEST_F(ResendTest, TheStoredHashChecksWithTheReadmesStandardLibraryCode) {
  const std::string email = "hash-check@example.com";
  RegisterAndWait(email, "correct horse battery");
  ASSERT_EQ(
      stack()
          .Post("/activate",
                "token=" + TokenIn(MailsTo(email).at(0)) + "&password=a+good+password",
                {kForm})
          .status,
      200);
  const std::vector<std::string> hash = stack().Query(
      "SELECT password_hash FROM users WHERE email = '" + email + "'");
  ASSERT_EQ(hash.size(), 1u);
  const std::string check = "/usr/bin/python3 " + RepoRoot() +
                            "/tools/check_password.py '" + hash[0] + "' ";
  EXPECT_EQ(std::system((check + "'correct horse battery'").c_str()), 0);
  EXPECT_NE(std::system((check + "'correct horse batterY'").c_str()), 0);
}

}  // namespace
}  // namespace reg::testing
