// NginxErrorPages (http/html.h): the pages nginx answers its own errors
// with, made from the shipped catalogues.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "http/html.h"
#include "i18n/messages.h"
#include "testutil.h"

namespace reg {
namespace {

using ::testing::HasSubstr;

std::string Root() {
  const char* root = getenv("REGISTRAR_ROOT");
  return root != nullptr ? root : ".";
}

std::map<std::string, std::string> Pages() {
  Result<Catalogues> langs = Catalogues::Load(Root() + "/lang");
  EXPECT_TRUE(langs.ok()) << langs.status().message();
  return langs.ok() ? NginxErrorPages(langs.value())
                    : std::map<std::string, std::string>();
}

TEST(NginxErrorPages, EachStatusInEachLanguageAsHtmlAndJson) {
  const std::map<std::string, std::string> pages = Pages();
  for (const char* lang : {"en", "de", "fr"}) {
    for (const char* status : {"400", "413", "414", "429", "502", "504"}) {
      const std::string name = std::string(status) + "." + lang;
      ASSERT_EQ(pages.count(name + ".html"), 1u) << name;
      ASSERT_EQ(pages.count(name + ".json"), 1u) << name;
      const std::string& html = pages.at(name + ".html");
      EXPECT_THAT(html, HasSubstr(std::string("<html lang=\"") + lang));
      EXPECT_THAT(html, HasSubstr(status));
      // The JSON error the workers give, {"error": the page's text}.
      nlohmann::json j =
          nlohmann::json::parse(pages.at(name + ".json"), nullptr, false);
      ASSERT_TRUE(j.is_object()) << name;
      ASSERT_TRUE(j["error"].is_string()) << name;
      EXPECT_THAT(html, HasSubstr(j["error"].get<std::string>())) << name;
    }
  }
  // Nothing else: the six statuses, two files each, for each catalogue.
  Result<Catalogues> langs = Catalogues::Load(Root() + "/lang");
  ASSERT_TRUE(langs.ok());
  EXPECT_EQ(pages.size(), langs.value().tags().size() * 6 * 2);
  EXPECT_THAT(pages.at("429.de.html"), HasSubstr("Fehler 429"));
  EXPECT_THAT(pages.at("429.de.html"), HasSubstr("Zu viele Versuche"));
  EXPECT_THAT(pages.at("504.fr.html"), HasSubstr("Erreur 504"));
  EXPECT_THAT(pages.at("504.fr.html"), HasSubstr("Indisponible"));
}

}  // namespace
}  // namespace reg
