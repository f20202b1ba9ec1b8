#include "i18n/messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "i18n/keys.h"
#include "testutil.h"

namespace reg {
namespace {

using ::testing::HasSubstr;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str(), nullptr, false);
}

std::string LangDir() {
  const char* root = getenv("REGISTRAR_ROOT");
  return std::string(root != nullptr ? root : ".") + "/lang";
}

nlohmann::json EnglishJson() { return ReadJson(LangDir() + "/en.json"); }

// The error ParseCatalogue gives for the English catalogue changed by "edit".
std::string FaultOf(void (*edit)(nlohmann::json&)) {
  nlohmann::json j = EnglishJson();
  edit(j);
  Result<Messages> m = ParseCatalogue("xx", j.dump(), "lang/xx.json");
  return m.ok() ? "ok" : m.status().message();
}

TEST(Catalogues, EveryCatalogueHasExactlyTheKeysOfEnglish) {
  std::set<std::string> english;
  const nlohmann::json en = EnglishJson();
  for (auto it = en.begin(); it != en.end(); ++it) english.insert(it.key());
  std::set<std::string> used;
  for (const KeySpec& k : MessageKeys()) used.insert(k.key);
  EXPECT_EQ(english, used) << "lang/en.json and i18n/keys.cc differ";
  for (const std::string& tag : TestCatalogues().tags()) {
    SCOPED_TRACE(tag);
    const nlohmann::json j = ReadJson(LangDir() + "/" + tag + ".json");
    std::set<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
    EXPECT_EQ(keys, english);
  }
  EXPECT_THAT(TestCatalogues().tags(),
              ::testing::ElementsAre("de", "en", "fr"));
}

TEST(Catalogues, AMissingKeyIsAnErrorNamingFileAndKey) {
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j.erase("sent.title"); }),
            "lang/xx.json: key \"sent.title\": missing");
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j.erase("plural_rule"); }),
            "lang/xx.json: key \"plural_rule\": missing");
}

TEST(Catalogues, OtherFaultsAreErrorsNamingFileAndKey) {
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j["sent.titel"] = "x"; }),
            "lang/xx.json: key \"sent.titel\": not a key the service uses");
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j["sent.title"] = 3; }),
            "lang/xx.json: key \"sent.title\": not a string");
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j["sent.title"] = ""; }),
            "lang/xx.json: key \"sent.title\": empty");
  EXPECT_EQ(
      FaultOf([](nlohmann::json& j) { j["mail.verify.ttl"] = "No hours."; }),
      "lang/xx.json: key \"mail.verify.ttl\": lacks the placeholder {hours}");
  EXPECT_EQ(FaultOf([](nlohmann::json& j) {
              j["mail.verify.hours"] = {{"one", "{n} hour"}};
            }),
            "lang/xx.json: key \"mail.verify.hours\": not an object of one "
            "string per plural category of rule \"one\"");
  EXPECT_EQ(
      FaultOf([](nlohmann::json& j) {
        j["mail.verify.hours"] = {{"one", "{n} hour"}, {"many", "{n} hours"}};
      }),
      "lang/xx.json: key \"mail.verify.hours\": lacks the plural form "
      "\"other\"");
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j["plural_rule"] = "klingon"; }),
            "lang/xx.json: key \"plural_rule\": not one of one, zero-one, "
            "none, east-slavic, polish, czech");
  EXPECT_EQ(FaultOf([](nlohmann::json& j) { j["date.months"].erase(0); }),
            "lang/xx.json: key \"date.months\": not an array of 12 month "
            "names");
  Result<Messages> bad = ParseCatalogue("xx", "{\"a\":", "lang/xx.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "lang/xx.json: not a JSON object");
}

TEST(Catalogues, LoadNeedsEnglishAndCatalogueNamesThatAreLanguageTags) {
  const std::string dir = ::testing::TempDir() + "/lang-load-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  };
  write("de.json", ReadJson(LangDir() + "/de.json").dump());
  Result<Catalogues> c = Catalogues::Load(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("en.json: missing"));
  write("en.json", EnglishJson().dump());
  write("README", "not a catalogue");
  ASSERT_OK(Catalogues::Load(dir));
  write("pt-BR.json", EnglishJson().dump());
  c = Catalogues::Load(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("pt-BR.json: not a catalogue"));
  std::filesystem::remove(dir + "/pt-BR.json");
  write("de.json", "{");
  c = Catalogues::Load(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("de.json: not a JSON object"));
  EXPECT_FALSE(Catalogues::Load(dir + "/nowhere").ok());
  std::filesystem::remove_all(dir);
}

// A worker's start names the setting a catalogue came from.
TEST(Catalogues, LoadLangDirNamesLangDirInItsError) {
  ASSERT_OK(LoadLangDir(LangDir()));
  Result<Catalogues> c = LoadLangDir("/nonexistent/lang");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              ::testing::StartsWith("LANG_DIR=/nonexistent/lang: language "
                                    "catalogues: /nonexistent/lang: "));
}

TEST(Catalogues, ChooseFallsBackToEnglish) {
  EXPECT_EQ(TestCatalogues().Choose("de-CH, fr;q=0.5").tag(), "de");
  EXPECT_EQ(TestCatalogues().Choose("ja").tag(), "en");
  EXPECT_EQ(TestCatalogues().Get("xx").tag(), "en");
}

TEST(PluralCategory, FollowsCldrForIntegers) {
  EXPECT_EQ(PluralCategory("one", 0), "other");
  EXPECT_EQ(PluralCategory("one", 1), "one");
  EXPECT_EQ(PluralCategory("one", 2), "other");
  // French: 0 and 1 are singular.
  EXPECT_EQ(PluralCategory("zero-one", 0), "one");
  EXPECT_EQ(PluralCategory("zero-one", 1), "one");
  EXPECT_EQ(PluralCategory("zero-one", 2), "other");
  EXPECT_EQ(PluralCategory("none", 1), "other");
  // Russian: 1, 21 one; 2-4, 22 few; 5, 11, 12, 111 many.
  for (long n : {1, 21, 101})
    EXPECT_EQ(PluralCategory("east-slavic", n), "one");
  for (long n : {2, 4, 22, 34})
    EXPECT_EQ(PluralCategory("east-slavic", n), "few");
  for (long n : {0, 5, 11, 12, 14, 111}) {
    EXPECT_EQ(PluralCategory("east-slavic", n), "many") << n;
  }
  // Polish: 21 is "many", unlike Russian.
  EXPECT_EQ(PluralCategory("polish", 1), "one");
  EXPECT_EQ(PluralCategory("polish", 22), "few");
  EXPECT_EQ(PluralCategory("polish", 21), "many");
  EXPECT_EQ(PluralCategory("czech", 3), "few");
  EXPECT_EQ(PluralCategory("czech", 5), "other");
  EXPECT_EQ(PluralCategory("klingon", 1), "");
}

TEST(Messages, PluralFormsComeFromTheCatalogue) {
  const Messages& en = TestCatalogues().Get("en");
  const Messages& de = TestCatalogues().Get("de");
  const Messages& fr = TestCatalogues().Get("fr");
  EXPECT_EQ(en.Plural("mail.verify.hours", 1), "1 hour");
  EXPECT_EQ(en.Plural("mail.verify.hours", 24), "24 hours");
  EXPECT_EQ(en.Plural("mail.verify.hours", 0), "0 hours");
  EXPECT_EQ(de.Plural("mail.verify.hours", 1), "1 Stunde");
  EXPECT_EQ(de.Plural("mail.verify.hours", 24), "24 Stunden");
  EXPECT_EQ(fr.Plural("mail.verify.hours", 0), "0 heure");
  EXPECT_EQ(fr.Plural("mail.verify.hours", 1), "1 heure");
  EXPECT_EQ(fr.Plural("mail.verify.hours", 24), "24 heures");
}

TEST(Messages, DatesHaveEachLanguagesForm) {
  const std::int64_t t = 1796025600;  // Mon, 30 Nov 2026 08:00:00 UTC
  EXPECT_EQ(TestCatalogues().Get("en").DateTimeUtc(t),
            "30 November 2026, 08:00 UTC");
  EXPECT_EQ(TestCatalogues().Get("de").DateTimeUtc(t),
            "30. November 2026, 08:00 UTC");
  EXPECT_EQ(TestCatalogues().Get("fr").DateTimeUtc(t),
            "30 novembre 2026 \xC3\xA0 08:00 UTC");
  EXPECT_EQ(
      TestCatalogues().Get("de").DateTimeUtc(951782400 + 3600 * 13 + 5 * 60),
      "29. Februar 2000, 13:05 UTC");
  EXPECT_EQ(TestCatalogues().Get("fr").DateTimeUtc(0),
            "1 janvier 1970 \xC3\xA0 00:00 UTC");
}

TEST(Messages, FormatFillsNamedPlaceholdersOnly) {
  EXPECT_EQ(Format("{a} and {b} but {c}", {{"a", "1"}, {"b", "{a}"}}),
            "1 and {a} but {c}");
  EXPECT_EQ(Format("{unclosed", {{"unclosed", "x"}}), "{unclosed");
  const Messages& en = TestCatalogues().Get("en");
  EXPECT_EQ(en.Text("no.such.key"), "no.such.key");
  EXPECT_EQ(en.Html("mail.verify.press_html"),
            "To confirm that it is yours, open the link and press the button "
            "&quot;Verify my email&quot; on the page that opens.");
}

TEST(Messages, FrenchUsesNoBreakSpacesBeforeColonsAndGuillemets) {
  const Messages& fr = TestCatalogues().Get("fr");
  EXPECT_EQ(fr.Text("page.error_title", {{"title", "X"}}),
            "Erreur\xC2\xA0: X");  // U+00A0 before ':'
  EXPECT_THAT(fr.Text("mail.verify.press_text"),
              HasSubstr("\xC2\xAB\xE2\x80\xAF"
                        "Confirmer mon adresse"
                        "\xE2\x80\xAF\xC2\xBB"));  // « … » with U+202F
  for (const auto& [key, text] : fr.texts()) {
    EXPECT_EQ(text.find(" :"), std::string::npos) << key;
    EXPECT_EQ(text.find(" ?"), std::string::npos) << key;
    EXPECT_EQ(text.find(" !"), std::string::npos) << key;
    EXPECT_EQ(text.find("'"), std::string::npos) << key << ": use \u2019";
  }
}

}  // namespace
}  // namespace reg
