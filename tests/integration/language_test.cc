// Contract §3 "Language" against the real stack: pages, JSON errors and
// mails in the first language of Accept-Language the service has, English
// otherwise; a broken catalogue stops the workers.
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/encoding.h"
#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;


// A Subject header's value as UTF-8: each "=?UTF-8?B?...?=" word decoded
// (RFC 2047; the folding between words goes).
std::string DecodeSubject(const std::string& value) {
  std::string out, rest = value;
  while (!rest.empty()) {
    const std::size_t start = rest.find("=?UTF-8?B?");
    if (start == std::string::npos) return out + rest;
    const std::size_t end = rest.find("?=", start + 10);
    if (end == std::string::npos) return out + rest;
    std::optional<std::string> word =
        Base64Decode(rest.substr(start + 10, end - start - 10));
    out += word.value_or("<bad base64>");
    rest = rest.substr(end + 2);
    while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\r' ||
                             rest[0] == '\n' || rest[0] == '\t')) {
      rest.erase(0, 1);
    }
  }
  return out;
}

// The Subject with its folded lines joined (MailHeader gives the first).
std::string SubjectOf(const std::string& mail) {
  const std::size_t at = mail.find("\r\nSubject: ");
  if (at == std::string::npos) return "";
  std::size_t end = mail.find("\r\n", at + 2);
  while (end + 2 < mail.size() && mail[end + 2] == ' ') {
    end = mail.find("\r\n", end + 2);
  }
  return mail.substr(at + 11, end - at - 11);
}

class LanguageTest : public StackSuite {
 protected:
  static void SetUpTestSuite() { StartStack(); }
  void SetUp() override { sink().Control("{}"); }

  // Registers "email" with "accept_language"; the mail it sends.
  std::string RegisterIn(const std::string& email,
                         const std::string& accept_language) {
    const int before = sink().MailCount();
    HttpResponse r = stack().Post(
        "/register",
        nlohmann::json{{"email", email}, {"password", "a good password"}}
            .dump(),
        {kJson, "Accept-Language: " + accept_language});
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
    for (const std::string& mail : sink().Mails()) {
      if (MailHeader(mail, "To") == email) return mail;
    }
    return "";
  }
};

TEST_F(LanguageTest, GermanAcceptLanguageGetsGermanPagesThatSaySo) {
  const std::vector<std::string> de = {
      "Accept-Language: de-CH, de;q=0.9, en;q=0.5"};
  HttpResponse index = stack().Get("/", de);
  ASSERT_EQ(index.status, 200);
  EXPECT_THAT(index.body, HasSubstr("<html lang=\"de\">"));
  EXPECT_THAT(index.body, HasSubstr("<h1>Konto erstellen</h1>"));
  EXPECT_EQ(index.Header("content-language"), "de");
  EXPECT_THAT(index.Header("vary"), HasSubstr("Accept-Language"));

  HttpResponse sent = stack().Get("/register/sent", de);
  EXPECT_THAT(sent.body, HasSubstr("Prüfen Sie Ihr Postfach"));
  EXPECT_THAT(sent.body, HasSubstr("action=\"/register/resend\""));

  HttpResponse missing = stack().Get("/activate?token=nope", de);
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("Seite nicht gefunden"));
  EXPECT_EQ(missing.Header("content-language"), "de");
  // Where nginx keeps its own error pages is, from outside, an address
  // like any other: the workers' 404 page.
  HttpResponse errors = stack().Get("/errors/502", de);
  EXPECT_EQ(errors.status, 404);
  EXPECT_THAT(errors.body, HasSubstr("Seite nicht gefunden"));

  // A field error beside the field, in German.
  HttpResponse invalid = stack().Post("/register", "email=x&password=short",
                                      {"Accept-Language: de"});
  EXPECT_EQ(invalid.status, 422);
  EXPECT_THAT(invalid.body,
              HasSubstr("Geben Sie eine E-Mail-Adresse wie name@example.com "
                        "ein."));
  EXPECT_THAT(invalid.body, HasSubstr("Verwenden Sie mindestens 8 Zeichen."));
  EXPECT_THAT(invalid.body, HasSubstr("<title>Fehler: Konto erstellen"));
}

TEST_F(LanguageTest, FrenchJsonErrorsAreInFrench) {
  HttpResponse r = stack().Post(
      "/register", R"({"email":"","password":"short"})",
      {kJson, "Accept-Language: fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"});
  ASSERT_EQ(r.status, 422) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_EQ(j["errors"]["email"], "Saisissez votre adresse e-mail.");
  EXPECT_EQ(j["errors"]["password"], "Utilisez au moins 8 caractères.");
  EXPECT_EQ(r.Header("content-language"), "fr");
  EXPECT_THAT(r.Header("vary"), HasSubstr("Accept-Language"));

  HttpResponse page = stack().Get("/register/sent", {"Accept-Language: fr"});
  EXPECT_THAT(page.body, HasSubstr("<html lang=\"fr\">"));
}

TEST_F(LanguageTest, JapaneseAndGarbageFallBackToEnglish) {
  for (const char* header :
       {"ja", "ja-JP, zh;q=0.5", "*", "de;q=0, ja", ";;,=,;q=2", ""}) {
    SCOPED_TRACE(header);
    HttpResponse r =
        stack().Get("/", {std::string("Accept-Language: ") + header});
    ASSERT_EQ(r.status, 200);
    EXPECT_THAT(r.body, HasSubstr("<html lang=\"en\">"));
    EXPECT_EQ(r.Header("content-language"), "en");
  }
  // An over-long header is cut, not refused.
  std::string huge = "ja";
  while (huge.size() < 4000) huge += ", x-" + std::to_string(huge.size());
  HttpResponse r = stack().Get("/", {"Accept-Language: " + huge + ", de"});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<html lang=\"en\">"));
}

TEST_F(LanguageTest, GermanRegistrationGetsAGermanMail) {
  const std::string mail = RegisterIn("de-mail@example.com", "de-DE,de;q=0.9");
  ASSERT_FALSE(mail.empty());
  EXPECT_EQ(MailHeader(mail, "Content-Language"), "de");
  const std::string subject = SubjectOf(mail);
  EXPECT_THAT(subject, StartsWith("=?UTF-8?B?"));
  EXPECT_EQ(DecodeSubject(subject), "Bestätigen Sie Ihre E-Mail-Adresse");
  EXPECT_THAT(mail, HasSubstr("<html lang=\"de\">"));
  EXPECT_THAT(mail, HasSubstr("24 Stunden"));
  EXPECT_FALSE(LinkIn(mail).empty());
  // The page behind the link follows the language of whoever opens it.
  HttpResponse page =
      stack().Get("/activate?token=" + TokenIn(mail), {"Accept-Language: fr"});
  EXPECT_THAT(page.body, HasSubstr("Confirmez votre adresse e-mail"));
}

TEST_F(LanguageTest, FrenchRegistrationGetsAFrenchMail) {
  const std::string mail = RegisterIn("fr-mail@example.com", "fr");
  ASSERT_FALSE(mail.empty());
  EXPECT_EQ(MailHeader(mail, "Content-Language"), "fr");
  EXPECT_EQ(DecodeSubject(SubjectOf(mail)), "Confirmez votre adresse e-mail");
  EXPECT_THAT(mail, HasSubstr("<html lang=\"fr\">"));
  EXPECT_THAT(mail, HasSubstr("24 heures"));
  // Its subject is ASCII, so plain; the notice's is not: encoded.
  ASSERT_EQ(stack().Post("/activate", "token=" + TokenIn(mail) + "&password=a+good+password").status, 200);
  const int before = sink().MailCount();
  ASSERT_EQ(stack()
                .Post("/register",
                      R"({"email":"fr-mail@example.com",)"
                      R"("password":"another good one"})",
                      {kJson, "Accept-Language: fr-CA"})
                .status,
            202);
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  const std::string notice = sink().Mails().back();
  EXPECT_EQ(MailHeader(notice, "Content-Language"), "fr");
  EXPECT_THAT(SubjectOf(notice), StartsWith("=?UTF-8?B?"));
  EXPECT_EQ(DecodeSubject(SubjectOf(notice)), "Vous avez déjà un compte");
}

TEST_F(LanguageTest, ResendAnswersAndMailsInTheResendRequestsLanguage) {
  // Registered in English, sent again from a German browser.
  const std::string first = RegisterIn("resend-de@example.com", "en");
  ASSERT_EQ(MailHeader(first, "Content-Language"), "en");
  const int before = sink().MailCount();
  HttpResponse r =
      stack().Post("/register/resend", "email=resend-de%40example.com",
                   {"Accept-Language: de"});
  EXPECT_EQ(r.status, 303) << r.body;
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  const std::string again = sink().Mails().back();
  EXPECT_EQ(MailHeader(again, "To"), "resend-de@example.com");
  EXPECT_EQ(MailHeader(again, "Content-Language"), "de");
  EXPECT_EQ(DecodeSubject(SubjectOf(again)),
            "Bestätigen Sie Ihre E-Mail-Adresse");
  // An invalid address: the resend page again, in German.
  HttpResponse bad =
      stack().Post("/register/resend", "email=nope", {"Accept-Language: de"});
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.body, HasSubstr("<html lang=\"de\">"));
  EXPECT_THAT(bad.body, HasSubstr("Link erneut anfordern"));
  EXPECT_THAT(bad.body, HasSubstr("Geben Sie eine E-Mail-Adresse wie "
                                  "name@example.com ein."));
}

TEST_F(LanguageTest, JapaneseRegistrationGetsAnEnglishMail) {
  const std::string mail = RegisterIn("ja-mail@example.com", "ja");
  ASSERT_FALSE(mail.empty());
  EXPECT_EQ(MailHeader(mail, "Content-Language"), "en");
  EXPECT_EQ(SubjectOf(mail), "Confirm your email address");
  EXPECT_THAT(mail, HasSubstr("24 hours"));
}

// A catalogue missing a key stops the workers with a line that names the
// file and the key.
TEST(LanguageCatalogues, AMissingKeyStopsTheWorkersNamingFileAndKey) {
  const std::string lang = MakeTempDir();
  for (const char* tag : {"en", "de"}) {
    nlohmann::json j = nlohmann::json::parse(
        ReadFile(RepoRoot() + "/lang/" + tag + ".json"), nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    if (std::string(tag) == "de") j.erase("sent.title");
    WriteFileAtomic(lang + "/" + tag + ".json", j.dump());
  }
  chmod(lang.c_str(), 0755);
  const std::string data = MakeTempDir();
  Stack stack({{"LANG_DIR", lang}}, nullptr, data);
  EXPECT_FALSE(stack.running());
  const std::string log = ReadFile(data + "/registrar.log");
  EXPECT_THAT(log, HasSubstr("cannot start: LANG_DIR=" + lang + ": " + lang +
                             "/de.json: key \"sent.title\": missing"))
      << log;
}

}  // namespace
}  // namespace reg::testing
