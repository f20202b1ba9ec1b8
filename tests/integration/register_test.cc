// Contract §2, GET / and POST /register (and the small pages around them)
// against the real stack: every row, for the JSON and the HTML answer.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/escape.h"
#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// application/x-www-form-urlencoded of "fields", in order.
std::string FormBody(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + "=";
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
          c == '@') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  }
  return out;
}

std::string JsonBody(const std::string& email, const std::string& password) {
  return nlohmann::json{{"email", email}, {"password", password}}.dump();
}

// The names of a comma-separated header value ("GET, HEAD, POST").
std::set<std::string> Tokens(const std::string& value) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    std::string t = Trim(value.substr(start, end - start));
    if (!t.empty()) out.insert(t);
    start = end + 1;
  }
  return out;
}

class RegisterTest : public StackSuite {
 protected:
  static void SetUpTestSuite() { StartStack(); }

  // The mails whose To is "email" (trimmed, any case), oldest first.
  static std::vector<std::string> MailsTo(const std::string& email) {
    std::vector<std::string> out;
    for (std::string& m : sink().Mails()) {
      if (Lower(MailHeader(m, "To")) == Lower(Trim(email)))
        out.push_back(std::move(m));
    }
    return out;
  }
  // Account rows for "email" (trimmed, ASCII-lowercased), as the database
  // counts them.
  static std::string UsersWith(const std::string& email) {
    std::string quoted;
    for (char c : Lower(Trim(email)))
      quoted += c == '\'' ? std::string("''") : std::string(1, c);
    std::vector<std::string> rows = stack().Query(
        "SELECT count(*) FROM users WHERE email_norm = '" + quoted + "'");
    return rows.empty() ? "no answer" : rows[0];
  }
  static HttpResponse PostForm(const std::string& email,
                               const std::string& password,
                               std::vector<std::string> headers = {}) {
    headers.push_back(kForm);
    return stack().Post("/register",
                        FormBody({{"email", email}, {"password", password}}),
                        headers);
  }
  static HttpResponse PostJson(const std::string& email,
                               const std::string& password,
                               std::vector<std::string> headers = {}) {
    headers.push_back(kJson);
    return stack().Post("/register", JsonBody(email, password), headers);
  }

  // The field messages of a 422 JSON answer; empty for any other answer.
  static std::map<std::string, std::string> ErrorsFor(
      const std::string& email, const std::string& password) {
    std::map<std::string, std::string> out;
    HttpResponse r = PostJson(email, password);
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 422 || !j.is_object() || !j.contains("errors")) return out;
    for (const auto& [name, message] : j["errors"].items()) {
      if (message.is_string()) out[name] = message.get<std::string>();
    }
    return out;
  }
};

// Expects status "code" in a JSON answer, or in an HTML one.
#define EXPECT_JSON_ANSWER(r, code)                                          \
  do {                                                                       \
    EXPECT_EQ((r).status, code) << (r).error << (r).body;                    \
    EXPECT_THAT((r).Header("content-type"), StartsWith("application/json")); \
  } while (0)
#define EXPECT_HTML_ANSWER(r, code)                                   \
  do {                                                                \
    EXPECT_EQ((r).status, code) << (r).error << (r).body;             \
    EXPECT_THAT((r).Header("content-type"), StartsWith("text/html")); \
  } while (0)

// --- GET / -----------------------------------------------------------------

TEST_F(RegisterTest, FrontPageIsTheRegistrationFormWithSecurityHeaders) {
  HttpResponse r = stack().Get("/");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr(R"(<form method="post" action="/register" )"));
  EXPECT_THAT(
      r.body,
      HasSubstr(R"(<input name="email" type="email" autocomplete="email")"));
  EXPECT_THAT(
      r.body,
      HasSubstr(
          R"(<input name="password" type="password" autocomplete="new-password")"));
  // It works with JavaScript off: a plain submit button posts the form.
  EXPECT_THAT(r.body, HasSubstr(R"(type="submit")"));
  EXPECT_THAT(r.Header("content-security-policy"),
              HasSubstr("frame-ancestors"));
  EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
  EXPECT_FALSE(r.Header("referrer-policy").empty());
}

TEST_F(RegisterTest, SentPageTellsToCheckTheInbox) {
  HttpResponse r = stack().Get("/register/sent");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_THAT(r.Header("content-type"), StartsWith("text/html"));
  EXPECT_THAT(Lower(r.body), HasSubstr("check your inbox"));
}

// --- accepted --------------------------------------------------------------

TEST_F(RegisterTest, JsonRegistrationIsAccepted202AndMailsTheLink) {
  HttpResponse r = PostJson("json-new@example.com", kPassword);
  EXPECT_JSON_ANSWER(r, 202);
  EXPECT_NE(AcceptedReceipt(r.body), "") << r.body;
  ASSERT_TRUE(
      WaitFor([] { return MailsTo("json-new@example.com").size() == 1; }));
  EXPECT_FALSE(LinkIn(MailsTo("json-new@example.com")[0]).empty());
  EXPECT_EQ(UsersWith("json-new@example.com"), "1");
}

TEST_F(RegisterTest, FormRegistrationIsAnsweredWithSeeOtherToTheSentPage) {
  HttpResponse r = PostForm("form-new@example.com", kPassword);
  EXPECT_EQ(r.status, 303) << r.error << r.body;
  EXPECT_NE(SentReceipt(r.Header("location")), "") << r.Header("location");
  ASSERT_TRUE(
      WaitFor([] { return MailsTo("form-new@example.com").size() == 1; }));
  EXPECT_EQ(UsersWith("form-new@example.com"), "1");
}

TEST_F(RegisterTest, FormRegistrationThatAcceptsJsonIsAnswered202Json) {
  HttpResponse r = PostForm("form-json@example.com", kPassword, {kAcceptJson});
  EXPECT_JSON_ANSWER(r, 202);
  EXPECT_NE(AcceptedReceipt(r.body), "") << r.body;
  EXPECT_TRUE(r.Header("location").empty());
}

TEST_F(RegisterTest, PasswordWithSpacesAndNonAsciiIsAccepted) {
  HttpResponse r =
      PostJson("unicode-password@example.com", "  pässwört mit Leer  ");
  EXPECT_JSON_ANSWER(r, 202);
  EXPECT_EQ(
      PostForm("unicode-password-form@example.com", "  pässwört mit Leer  ")
          .status,
      303);
}

// --- already registered ----------------------------------------------------

TEST_F(RegisterTest,
       UnverifiedAddressAnswersExactlyLikeANewOneAndMailsANewLink) {
  HttpResponse first = PostJson("again@example.com", kPassword);
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_TRUE(WaitFor([] { return MailsTo("again@example.com").size() == 1; }));

  HttpResponse json = PostJson("  AGAIN@Example.com ", "another password");
  EXPECT_EQ(json.status, first.status);
  EXPECT_EQ(AnswerShape(json), AnswerShape(first));
  EXPECT_NE(AcceptedReceipt(json.body), AcceptedReceipt(first.body));
  ASSERT_TRUE(WaitFor([] { return MailsTo("again@example.com").size() == 2; }));

  HttpResponse new_form = PostForm("again-form-new@example.com", kPassword);
  HttpResponse form = PostForm(" Again@EXAMPLE.com  ", kPassword);
  EXPECT_EQ(form.status, new_form.status);
  EXPECT_EQ(AnswerShape(form), AnswerShape(new_form));
  EXPECT_NE(SentReceipt(form.Header("location")), "");
  ASSERT_TRUE(WaitFor([] { return MailsTo("again@example.com").size() == 3; }));

  std::vector<std::string> mails = MailsTo("again@example.com");
  std::set<std::string> links;
  for (const std::string& m : mails) links.insert(LinkIn(m));
  EXPECT_EQ(links.size(), 3u) << "each mail carries its own link";
  EXPECT_FALSE(links.count(""));
  EXPECT_EQ(UsersWith("again@example.com"), "1");
}

TEST_F(RegisterTest, VerifiedAddressAnswersExactlyLikeANewOneAndMailsANotice) {
  ASSERT_EQ(PostJson("verified@example.com", kPassword).status, 202);
  ASSERT_TRUE(
      WaitFor([] { return MailsTo("verified@example.com").size() == 1; }));
  const std::string token = TokenIn(MailsTo("verified@example.com")[0]);
  ASSERT_FALSE(token.empty());
  HttpResponse activated = stack().Post(
      "/activate",
      nlohmann::json{{"token", token}, {"password", kPassword}}.dump(),
      {kJson});
  ASSERT_EQ(activated.status, 200) << activated.body;

  HttpResponse fresh = PostJson("verified-new@example.com", kPassword);
  HttpResponse again = PostJson(" Verified@Example.COM", kPassword);
  EXPECT_EQ(again.status, fresh.status);
  EXPECT_EQ(AnswerShape(again), AnswerShape(fresh));

  HttpResponse fresh_form =
      PostForm("verified-form-new@example.com", kPassword);
  HttpResponse again_form = PostForm("VERIFIED@example.com ", kPassword);
  EXPECT_EQ(again_form.status, fresh_form.status);
  EXPECT_EQ(AnswerShape(again_form), AnswerShape(fresh_form));

  ASSERT_TRUE(
      WaitFor([] { return MailsTo("verified@example.com").size() == 3; }));
  std::vector<std::string> mails = MailsTo("verified@example.com");
  for (size_t i = 1; i < mails.size(); i++) {
    EXPECT_TRUE(LinkIn(mails[i]).empty()) << mails[i];
    const std::string text = Lower(mails[i]);
    EXPECT_THAT(text, HasSubstr("already")) << mails[i];
    EXPECT_THAT(text, HasSubstr("account")) << mails[i];
  }
  EXPECT_EQ(UsersWith("verified@example.com"), "1");
}

// --- invalid fields: 422 ---------------------------------------------------

TEST_F(RegisterTest, InvalidJsonFieldsAre422NamingOnlyTheFieldsAtFault) {
  struct Case {
    std::string email, password;
    std::set<std::string> fields;
  };
  for (const Case& c :
       {Case{"not-an-address", kPassword, {"email"}},
        Case{"short-password@example.com", "short", {"password"}},
        Case{"two@at@example.com", "short", {"email", "password"}}}) {
    HttpResponse r = PostJson(c.email, c.password);
    EXPECT_JSON_ANSWER(r, 422);
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j.size(), 1u) << r.body;
    ASSERT_TRUE(j.contains("errors") && j["errors"].is_object()) << r.body;
    std::set<std::string> got;
    for (const auto& [name, message] : j["errors"].items()) {
      got.insert(name);
      EXPECT_TRUE(message.is_string() && !message.get<std::string>().empty())
          << r.body;
    }
    EXPECT_EQ(got, c.fields) << c.email << " / " << c.password;
    EXPECT_EQ(UsersWith(c.email), "0") << c.email;
  }
}

TEST_F(RegisterTest, InvalidFormFieldsAre422JsonWhenAcceptAsksForIt) {
  HttpResponse r = PostForm("form-short@example.com", "short", {kAcceptJson});
  EXPECT_JSON_ANSWER(r, 422);
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_TRUE(j["errors"].contains("password")) << r.body;
  EXPECT_FALSE(j["errors"].contains("email")) << r.body;
  EXPECT_EQ(UsersWith("form-short@example.com"), "0");
}

TEST_F(RegisterTest,
       InvalidFormShowsTheFormAgainWithTheEmailEscapedAndNoPassword) {
  const std::string password = "Distinctive-Passw0rd-7731";
  // Invalid by the field rules: no '@' at all; a domain label of other
  // characters than letters, digits and hyphens.
  for (const std::string email : {R"("><script>alert(1)</script>)",
                                  R"(me@"><script>alert(1)</script>.com)"}) {
    HttpResponse r = PostForm(email, password);
    EXPECT_HTML_ANSWER(r, 422);
    EXPECT_THAT(r.body,
                HasSubstr(R"(<form method="post" action="/register" )"));
    EXPECT_THAT(r.body, Not(HasSubstr("<script>")));
    EXPECT_THAT(r.body,
                HasSubstr("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    EXPECT_THAT(r.body, Not(HasSubstr(password)));
    EXPECT_THAT(r.body, Not(HasSubstr("Passw0rd")));
    EXPECT_EQ(UsersWith(email), "0") << email;
  }
}

// The field rules allow specials such as '<', '"', ',' and ';' in the
// local part: such an address is accepted, and its mail goes to the
// RFC 5322 quoted form ("a<b"@example.com), never a broken header.
TEST_F(RegisterTest,
       AddressWithSpecialsInTheLocalPartIsAcceptedAndMailedQuoted) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a<b@example.com", R"("a<b"@example.com)"},
      {R"(a"b@example.com)", R"("a\"b"@example.com)"},
      {"a;b,c@example.com", R"("a;b,c"@example.com)"},
  };
  for (const auto& c : cases) {
    // Named, not a structured binding: clang 14 (the tests' compiler)
    // captures no structured binding in a lambda.
    const std::string& email = c.first;
    const std::string& quoted = c.second;
    HttpResponse json = PostJson(email, kPassword);
    EXPECT_EQ(json.status, 202) << email << ": " << json.body;
    ASSERT_TRUE(WaitFor([&] { return MailsTo(quoted).size() == 1; })) << quoted;
    EXPECT_FALSE(LinkIn(MailsTo(quoted)[0]).empty()) << quoted;
  }
}

TEST_F(RegisterTest, InvalidFormShowsEachMessageBesideItsField) {
  const std::map<std::string, std::string> both =
      ErrorsFor("no-at-sign", "short");
  ASSERT_EQ(both.size(), 2u);
  HttpResponse r = PostForm("no-at-sign", "short");
  EXPECT_HTML_ANSWER(r, 422);
  const size_t email_input = r.body.find(R"(<input name="email")");
  const size_t password_input = r.body.find(R"(<input name="password")");
  ASSERT_NE(email_input, std::string::npos) << r.body;
  ASSERT_NE(password_input, std::string::npos) << r.body;
  const size_t email_message =
      r.body.find(HtmlEscape(both.at("email")), email_input);
  EXPECT_LT(email_message, password_input) << r.body;
  EXPECT_NE(r.body.find(HtmlEscape(both.at("password")), password_input),
            std::string::npos)
      << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"(value="no-at-sign")"));
}

TEST_F(RegisterTest, InvalidFormKeepsAValidEmailAndMarksOnlyThePassword) {
  const std::string password = "Zq9-sh";  // 6 characters: too short
  const std::map<std::string, std::string> email_only =
      ErrorsFor("no-at-sign", kPassword);
  const std::map<std::string, std::string> password_only =
      ErrorsFor("keep-me@example.com", password);
  ASSERT_EQ(email_only.count("email"), 1u);
  ASSERT_EQ(password_only.count("password"), 1u);
  HttpResponse r = PostForm("keep-me@example.com", password);
  EXPECT_HTML_ANSWER(r, 422);
  EXPECT_THAT(r.body, HasSubstr(R"(value="keep-me@example.com")"));
  EXPECT_THAT(r.body, Not(HasSubstr(password)));
  EXPECT_THAT(r.body, HasSubstr(HtmlEscape(password_only.at("password"))));
  // Beside no field (the page script's messages hold every message).
  EXPECT_THAT(r.body, Not(HasSubstr(">" + HtmlEscape(email_only.at("email")) +
                                    "</p>")));
  EXPECT_EQ(UsersWith("keep-me@example.com"), "0");
}

// --- malformed bodies: 400 -------------------------------------------------

TEST_F(RegisterTest, MalformedJsonBodiesAre400) {
  for (const std::string& body :
       {std::string(R"({"email":"bad-json@example.com","password":)"),
        std::string(
            R"([{"email":"array@example.com","password":"a good password"}])"),
        std::string("{\"email\":\"\xff\xfe@example.com\",\"password\":\"a good "
                    "password\"}")}) {
    HttpResponse r = stack().Post("/register", body, {kJson});
    EXPECT_JSON_ANSWER(r, 400);
  }
  EXPECT_EQ(UsersWith("array@example.com"), "0");
}

TEST_F(RegisterTest, MalformedFormBodiesAre400ForHtmlAndJson) {
  for (const std::string& body :
       {std::string("email=%zz&password=a+good+password"),
        std::string("email=%ff%fe@x.com&password=a+good+password"),
        std::string("email=ok@x.com&password=%ff%fe%fd%fc%fb%fa%f9%f8")}) {
    HttpResponse html = stack().Post("/register", body, {kForm});
    EXPECT_HTML_ANSWER(html, 400);
    HttpResponse json = stack().Post("/register", body, {kForm, kAcceptJson});
    EXPECT_JSON_ANSWER(json, 400);
  }
  EXPECT_EQ(UsersWith("ok@x.com"), "0");
}

// --- too large: 413 --------------------------------------------------------

TEST_F(RegisterTest, BodyOver16KiBIs413) {
  const std::string json_head = R"({"email":"big@example.com","password":")";
  std::string json =
      json_head + std::string(17000 - json_head.size() - 2, 'x') + "\"}";
  ASSERT_EQ(json.size(), 17000u);
  HttpResponse r = stack().Post("/register", json, {kJson});
  EXPECT_EQ(r.status, 413) << r.error;

  std::string form = "email=big@example.com&password=";
  form += std::string(17000 - form.size(), 'x');
  ASSERT_EQ(form.size(), 17000u);
  // nginx answers it, with the service's error, as the workers would.
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":"The request is too large."})");
  HttpResponse page =
      stack().Post("/register", form, {kForm, "Accept-Language: de-DE,de"});
  EXPECT_EQ(page.status, 413);
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_THAT(page.body, HasSubstr("<html lang=\"de\""));
  EXPECT_THAT(page.body, HasSubstr("Fehler 413"));
  EXPECT_THAT(page.body, HasSubstr("Die Anfrage ist zu groß."));
  EXPECT_NE(page.Header("content-security-policy"), "");
  HttpResponse json_answer =
      stack().Post("/register", form, {kForm, kAcceptJson});
  EXPECT_EQ(json_answer.status, 413);
  EXPECT_EQ(json_answer.body, R"({"error":"The request is too large."})");
  EXPECT_EQ(UsersWith("big@example.com"), "0");
}

// --- past nginx's buffers: 400, 414 ------------------------------------------

// nginx stops reading such a request where it overflows, so the headers
// after that point, the language among them, are unknown: English.
TEST_F(RegisterTest, HeadersOrAnAddressPastNginxsBuffersGetTheServicesPage) {
  // Cookies of other sites on the domain, past nginx's header buffers.
  HttpResponse cookie = stack().Get(
      "/", {"Cookie: other=" + std::string(9000, 'a'), "Accept-Language: fr"});
  EXPECT_EQ(cookie.status, 400);
  EXPECT_THAT(cookie.body, HasSubstr("<html lang=\"en\""));
  EXPECT_THAT(cookie.body, HasSubstr("Error 400"));
  EXPECT_THAT(cookie.body, HasSubstr("The request could not be read."));
  // A link mangled past them.
  HttpResponse uri = stack().Get("/activate?token=" + std::string(9000, 'a'),
                                 {"Accept-Language: de"});
  EXPECT_EQ(uri.status, 414);
  EXPECT_THAT(uri.body, HasSubstr("Address too long"));
  EXPECT_EQ(uri.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(uri.Header("content-security-policy"), "");
}

// --- other Content-Type: 415 -----------------------------------------------

TEST_F(RegisterTest, OtherContentTypesAre415) {
  const std::string fields = "email=plain@example.com&password=a+good+password";
  HttpResponse plain =
      stack().Post("/register", fields, {"Content-Type: text/plain"});
  EXPECT_HTML_ANSWER(plain, 415);
  HttpResponse plain_json = stack().Post(
      "/register", fields, {"Content-Type: text/plain", kAcceptJson});
  EXPECT_JSON_ANSWER(plain_json, 415);

  const std::string multipart =
      "--XyZ\r\nContent-Disposition: form-data; "
      "name=\"email\"\r\n\r\nmulti@example.com\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\na "
      "good password\r\n"
      "--XyZ--\r\n";
  const std::string ct = "Content-Type: multipart/form-data; boundary=XyZ";
  HttpResponse multi = stack().Post("/register", multipart, {ct});
  EXPECT_HTML_ANSWER(multi, 415);
  HttpResponse multi_json =
      stack().Post("/register", multipart, {ct, kAcceptJson});
  EXPECT_JSON_ANSWER(multi_json, 415);
  EXPECT_EQ(UsersWith("plain@example.com"), "0");
  EXPECT_EQ(UsersWith("multi@example.com"), "0");
}

// --- other method: 405 -----------------------------------------------------

TEST_F(RegisterTest, OtherMethodsAre405WithAnAllowHeaderNamingPost) {
  const std::string url = stack().Url("/register");
  HttpResponse put =
      Http("PUT", url, JsonBody("put@example.com", kPassword), {kJson});
  EXPECT_JSON_ANSWER(put, 405);
  EXPECT_TRUE(Tokens(put.Header("allow")).count("POST")) << put.Header("allow");

  HttpResponse get = stack().Get("/register");
  EXPECT_HTML_ANSWER(get, 405);
  EXPECT_TRUE(Tokens(get.Header("allow")).count("POST")) << get.Header("allow");

  HttpResponse del = Http("DELETE", url, "", {kAcceptJson});
  EXPECT_JSON_ANSWER(del, 405);
  EXPECT_TRUE(Tokens(del.Header("allow")).count("POST")) << del.Header("allow");
  EXPECT_EQ(UsersWith("put@example.com"), "0");
}

// --- cross-site: 403 -------------------------------------------------------

TEST_F(RegisterTest, CrossSitePostsAre403AndStoreNothing) {
  for (const std::string& header :
       {std::string("Sec-Fetch-Site: cross-site"),
        std::string("Origin: https://evil.example")}) {
    HttpResponse json = PostJson("cross-json@example.com", kPassword, {header});
    EXPECT_JSON_ANSWER(json, 403);
    HttpResponse html = PostForm("cross-form@example.com", kPassword, {header});
    EXPECT_HTML_ANSWER(html, 403);
  }
  EXPECT_EQ(UsersWith("cross-json@example.com"), "0");
  EXPECT_EQ(UsersWith("cross-form@example.com"), "0");
}

TEST_F(RegisterTest, SameOriginPostsAreAccepted) {
  const std::string own =
      "Origin: http://127.0.0.1:" + std::to_string(stack().port());
  HttpResponse json = PostJson("own-origin@example.com", kPassword, {own});
  EXPECT_EQ(json.status, 202) << json.body;
  EXPECT_NE(AcceptedReceipt(json.body), "") << json.body;
  EXPECT_EQ(PostForm("own-origin-form@example.com", kPassword, {own}).status,
            303);

  HttpResponse same = PostJson("same-origin@example.com", kPassword,
                               {"Sec-Fetch-Site: same-origin"});
  EXPECT_EQ(same.status, 202) << same.body;
  EXPECT_EQ(PostForm("same-origin-form@example.com", kPassword,
                     {"Sec-Fetch-Site: same-origin"})
                .status,
            303);
  EXPECT_EQ(UsersWith("own-origin@example.com"), "1");
  EXPECT_EQ(UsersWith("same-origin-form@example.com"), "1");
}

// --- health and metrics ----------------------------------------------------

TEST_F(RegisterTest, HealthzAnswersOk) {
  HttpResponse r = stack().Get("/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok");  // the contract: `200` `ok`
}

TEST_F(RegisterTest, MetricsHaveTheContractsLines) {
  HttpResponse r = Http("GET", stack().InternalUrl("/internal/metrics"));
  EXPECT_EQ(r.status, 200) << r.error;
  for (const char* name : {"registrations_total", "mail_sent_total",
                           "mail_failed_total", "mail_queue_depth"}) {
    EXPECT_GE(stack().Metric(name), 0) << name << " missing in\n" << r.body;
  }
}

// --- RATE_LIMIT and MAIL_CAP -----------------------------------------------

// One stack with the knobs. limit_req (2 a minute, burst 5, nodelay) lets
// a client's first 6 posts through and then refills one every 30 s, so
// each test posts from a loopback address of its own (its own client for
// nginx): in any order, none spends another's limit.
class RegisterLimitsTest : public RegisterTest {
 protected:
  static void SetUpTestSuite() {
    StartStack(
        {{"RATE_LIMIT", "2"}, {"MAIL_CAP", "2"}, {"MAIL_CAP_TOTAL", "3"}});
  }
  // POST /register as JSON from "client", a 127.x.y.z address.
  static HttpResponse PostJsonFrom(const std::string& client,
                                   const std::string& email,
                                   const std::string& password) {
    return Http("POST", stack().Url("/register"), JsonBody(email, password),
                {kJson}, client);
  }
};

TEST_F(RegisterLimitsTest, MailCapAnswersAsUsualButSendsOnlyTwoMails) {
  std::vector<HttpResponse> answers;
  // One mailbox, whatever the letter case or +tag.
  for (const char* email :
       {"capped@mailcap.example", "Capped@Mailcap.Example",
        "capped+a@mailcap.example", "CAPPED+b@mailcap.example"})
    answers.push_back(PostJsonFrom("127.0.1.1", email, kPassword));
  for (const HttpResponse& r : answers) {
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_NE(AcceptedReceipt(r.body), "") << r.body;
  }
  // The account row and its job commit before the answer: only two jobs.
  EXPECT_EQ(
      stack().Query("SELECT count(*) FROM outbox WHERE lower(rcpt) IN "
                    "('capped@mailcap.example', 'capped+a@mailcap.example', "
                    "'capped+b@mailcap.example')"),
      std::vector<std::string>{"2"});
  // A later registration's mail arriving means the earlier ones had their
  // chance: then the capped address holds exactly two.
  ASSERT_EQ(
      PostJsonFrom("127.0.1.1", "after-cap@mailcap.example", kPassword).status,
      202);
  ASSERT_TRUE(WaitFor([] {
    return MailsTo("after-cap@mailcap.example").size() == 1 &&
           MailsTo("capped@mailcap.example").size() >= 2;
  }));
  EXPECT_EQ(MailsTo("capped@mailcap.example").size(), 2u);
  EXPECT_EQ(stack().Metric("mail_capped_total"), 2);
}

TEST_F(RegisterLimitsTest, DomainCapDelaysMailPastItsHourAndSaysWhen) {
  // MAIL_CAP_TOTAL=3 mails an hour to one recipient domain: fill this
  // test's own domain's hour; then a new address there is answered as
  // usual and its mail is queued for when the hour has room, not dropped.
  const auto jobs = [] {
    return std::stoi(stack().QueryOne(
        "SELECT count(*) FROM outbox WHERE domain = 'domaincap.example'"));
  };
  for (int i = 0; jobs() < 3 && i < 3; i++) {
    ASSERT_EQ(PostJsonFrom("127.0.1.2",
                           "fill-" + std::to_string(i) + "@domaincap.example",
                           kPassword)
                  .status,
              202);
  }
  ASSERT_EQ(jobs(), 3);
  // (The burst test's domain may have mail held too.)
  const double held = stack().Metric("mail_domain_held");
  const double delayed = stack().Metric("mail_domain_delayed_total");
  const std::int64_t before_s = std::time(nullptr);
  HttpResponse r =
      PostJsonFrom("127.0.1.2", "delayed-1@domaincap.example", kPassword);
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string receipt = AcceptedReceipt(r.body);
  EXPECT_EQ(jobs(), 4);
  EXPECT_EQ(stack().JobState(stack().JobIdFor("delayed-1@domaincap.example")),
            "queued");
  // Its receipt says delayed, by our cap, and when it goes: an hour after
  // the first of the three, so within the coming hour.
  HttpResponse status = stack().Get("/register/status?r=" + receipt);
  ASSERT_EQ(status.status, 200);
  nlohmann::json j = nlohmann::json::parse(status.body, nullptr, false);
  EXPECT_EQ(j.value("state", ""), "delayed") << status.body;
  EXPECT_EQ(j.value("detail", ""), "mail_cap") << status.body;
  const std::int64_t retry_at = j.value("retry_at", std::int64_t{0});
  EXPECT_GT(retry_at, before_s) << status.body;
  EXPECT_LE(retry_at, before_s + 3600 + 5) << status.body;
  EXPECT_THAT(stack().Get("/register/sent?r=" + receipt).body,
              HasSubstr("waits its turn"));
  // What an alert watches.
  EXPECT_EQ(stack().Metric("mail_domain_held"), held + 1);
  EXPECT_EQ(stack().Metric("mail_domain_delayed_total"), delayed + 1);
}

TEST_F(RegisterLimitsTest, BurstOfPostsPastTheRateLimitIs429) {
  std::vector<long> statuses;
  for (int i = 0; i < 10; i++) {
    statuses.push_back(
        PostJsonFrom("127.0.1.3",
                     "burst-" + std::to_string(i) + "@burst.example", kPassword)
            .status);
  }
  auto first_429 = std::find(statuses.begin(), statuses.end(), 429);
  ASSERT_NE(first_429, statuses.end()) << ::testing::PrintToString(statuses);
  for (auto it = statuses.begin(); it != first_429; ++it) {
    EXPECT_TRUE(*it == 202 || *it == 422) << ::testing::PrintToString(statuses);
  }
  for (long s : statuses) {
    EXPECT_TRUE(s == 202 || s == 422 || s == 429)
        << ::testing::PrintToString(statuses);
  }
  // Past the limit: still 429, the service's JSON error for a JSON post
  // (as nginx answers it), with the security headers.
  HttpResponse limited =
      PostJsonFrom("127.0.1.3", "burst-late@burst.example", kPassword);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("content-type"), "application/json");
  EXPECT_THAT(limited.body, HasSubstr(R"({"error":"Too many tries)"));
  EXPECT_THAT(limited.Header("content-security-policy"),
              HasSubstr("frame-ancestors"));
}

}  // namespace
}  // namespace reg::testing
