#include "i18n/accept_language.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reg {
namespace {

const std::vector<std::string> kHave = {"de", "en", "fr"};

std::string Pick(const std::string& header) {
  return NegotiateLanguage(header, kHave, "en");
}

std::vector<std::string> Tags(const std::string& header) {
  std::vector<std::string> out;
  for (const LanguageRange& r : ParseAcceptLanguage(header)) {
    out.push_back(r.tag + "=" + std::to_string(r.q));
  }
  return out;
}

TEST(AcceptLanguage, TakesTheFirstLanguageTheServiceHas) {
  EXPECT_EQ(Pick("de"), "de");
  EXPECT_EQ(Pick("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"), "fr");
  EXPECT_EQ(Pick("ja, fr;q=0.5"), "fr");
  EXPECT_EQ(Pick("en-GB, de"), "en");
}

TEST(AcceptLanguage, MatchesARegionalTagByItsLanguage) {
  EXPECT_EQ(Pick("de-CH"), "de");
  EXPECT_EQ(Pick("DE-at"), "de");
  EXPECT_EQ(Pick("fr-CA;q=0.8, ja"), "fr");
}

TEST(AcceptLanguage, HonoursQValuesWhateverTheOrder) {
  EXPECT_EQ(Pick("de;q=0.5, fr;q=0.9"), "fr");
  EXPECT_EQ(Pick("de;q=0.500, fr;q=0.499"), "de");
  EXPECT_EQ(Pick("fr;q=1.0, de;Q=1"), "fr");  // a tie keeps the order
  EXPECT_THAT(Tags("a;q=0.1, b, c;q=0.7"),
              ::testing::ElementsAre("b=1000", "c=700", "a=100"));
}

TEST(AcceptLanguage, QZeroExcludesTheLanguage) {
  EXPECT_EQ(Pick("de;q=0"), "en");
  EXPECT_EQ(Pick("de;q=0.000, de-CH, fr;q=0.1"), "fr");
  EXPECT_EQ(Pick("fr;q=0, *"), "en");
}

TEST(AcceptLanguage, IgnoresTheWildcardAndGarbage) {
  EXPECT_EQ(Pick("*"), "en");
  EXPECT_EQ(Pick("*, fr;q=0.1"), "fr");
  EXPECT_EQ(Pick(""), "en");
  EXPECT_EQ(Pick(",,, ;;; =="), "en");
  EXPECT_EQ(Pick("de;q=2, fr"), "fr");       // q above 1
  EXPECT_EQ(Pick("de;q=0.1234, fr"), "fr");  // four decimals
  EXPECT_EQ(Pick("de;q=abc, fr"), "fr");
  EXPECT_EQ(Pick("de;level=1, fr"), "fr");  // no other parameter exists
  EXPECT_EQ(Pick("d\xC3\xA9, fr"), "fr");   // not ASCII
  EXPECT_EQ(Pick("1de, fr"), "fr");         // starts with a digit
  EXPECT_EQ(Pick("de-, fr"), "fr");
  EXPECT_EQ(Pick("deutschland, fr"), "fr");          // 11 letters
  EXPECT_EQ(Pick("de\t;\tq=0.5 , fr;q=0.4"), "de");  // OWS is fine
}

TEST(AcceptLanguage, ReadsABoundedHeader) {
  std::string header;
  while (header.size() < kMaxAcceptLanguageBytes) header += "ja, ";
  EXPECT_EQ(Pick(header + "de"), "en");  // past the bound: not read
  EXPECT_EQ(Pick("de, " + header), "de");
  // At most 32 ranges.
  std::string many;
  for (int i = 0; i < 32; i++) many += "x" + std::to_string(i % 10) + "a, ";
  EXPECT_EQ(Pick(many + "fr"), "en");
  EXPECT_LE(ParseAcceptLanguage(many + "fr").size(), 32u);
}

}  // namespace
}  // namespace reg
