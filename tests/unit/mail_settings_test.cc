#include "base/mail_settings.h"

#include <gtest/gtest.h>

#include <string>

#include "base/config.h"
#include "testutil.h"

namespace reg {
namespace {

TEST(ParseMailFrom, TakesTheFormsOperatorsWrite) {
  const struct {
    const char* value;
    const char* name;
    const char* address;
  } table[] = {
      {"no-reply@example.com", "", "no-reply@example.com"},
      {"<no-reply@example.com>", "", "no-reply@example.com"},
      {"Example <no-reply@example.com>", "Example", "no-reply@example.com"},
      {"  Example Shop   <a.b+c@mail.example.com> ", "Example Shop",
       "a.b+c@mail.example.com"},
      {"\"Example, Inc.\" <no-reply@example.com>", "Example, Inc.",
       "no-reply@example.com"},
      {"\"Say \\\"hi\\\"\" <no-reply@example.com>", "Say \"hi\"",
       "no-reply@example.com"},
      {"B\xC3\xBCro M\xC3\xBCller <no-reply@example.com>",
       "B\xC3\xBCro M\xC3\xBCller", "no-reply@example.com"},
      {"no-reply@localhost", "", "no-reply@localhost"},
  };
  for (const auto& row : table) {
    Result<MailFrom> from = ParseMailFrom(row.value);
    ASSERT_OK(from) << row.value;
    EXPECT_EQ(from.value().name, row.name) << row.value;
    EXPECT_EQ(from.value().address, row.address) << row.value;
  }
}

TEST(ParseMailFrom, RefusesWhatIsNeitherAnAddressNorANameAndAnAddress) {
  for (const char* bad :
       {"", "Example", "Example <>", "Example <no-reply>", "<a@example.com",
        "a@example.com>", "Example no-reply@example.com", "a <b> <c@d.e>",
        "\"Example <a@example.com>", "Ex\"ample <a@example.com>",
        "z\xC3\xB6@example.com", "a..b@example.com", ".a@example.com",
        "a@-example.com", "a@example..com", "a@[192.0.2.1]"}) {
    Result<MailFrom> from = ParseMailFrom(bad);
    EXPECT_FALSE(from.ok()) << bad;
    if (!from.ok()) {
      EXPECT_EQ(from.status().code(), Code::kInvalidArgument);
    }
  }
}

TEST(UrlHost, TakesTheHostOutOfAUrl) {
  EXPECT_EQ(UrlHost("smtp://mail.example.com:587"), "mail.example.com");
  EXPECT_EQ(UrlHost("smtps://Mail.Example.COM"), "mail.example.com");
  EXPECT_EQ(UrlHost("smtp://user:pw@relay.example:25/x"), "relay.example");
  EXPECT_EQ(UrlHost("smtp://[::1]:25"), "::1");
  EXPECT_EQ(UrlHost("https://example.com/app"), "example.com");
  EXPECT_EQ(UrlHost("http://127.0.0.1:8080"), "127.0.0.1");
}

TEST(IsLoopbackHost, KnowsLocalhostAnd127And1) {
  for (const char* h : {"localhost", "LOCALHOST", "mail.localhost", "127.0.0.1",
                        "127.1.2.3", "::1"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"example.com", "localhost.example.com", "128.0.0.1",
                        "10.0.0.1", "::2", "127.example.com", ""}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(EhloName, WritesAnAddressAsALiteralNeverBare) {
  EXPECT_EQ(EhloName("192.0.2.1").value(), "[192.0.2.1]");
  EXPECT_EQ(EhloName("2001:db8::1").value(), "[IPv6:2001:db8::1]");
  EXPECT_EQ(EhloName("[192.0.2.1]").value(), "[192.0.2.1]");
  EXPECT_EQ(EhloName("mail.example.com").value(), "mail.example.com");
  EXPECT_FALSE(EhloName("[mail.example.com]").ok());
  EXPECT_FALSE(EhloName("a b").ok());
  EXPECT_FALSE(EhloName("").ok());
}

TEST(DefaultEhloName, IsTheHostsFqdnElseBaseUrlsHostAsALiteral) {
  EXPECT_EQ(DefaultEhloName("web1.example.com", "http://127.0.0.1:8080"),
            "web1.example.com");
  EXPECT_EQ(DefaultEhloName("web1", "https://reg.example.com/app"),
            "reg.example.com");
  EXPECT_EQ(DefaultEhloName("", "http://127.0.0.1:8080"), "[127.0.0.1]");
  EXPECT_EQ(DefaultEhloName("localhost.localdomain", "http://[::1]:8080"),
            "localhost.localdomain");
  EXPECT_EQ(DefaultEhloName("localhost", "http://[2001:db8::5]:8080"),
            "[IPv6:2001:db8::5]");
}

Config RealRelay(const char* from, const char* base_url) {
  Config c;
  c.smtp_url = "smtp://mail.example.com:587";
  c.mail_from = from;
  c.base_url = base_url;
  return c;
}

bool HasLine(const std::vector<std::string>& lines, const std::string& start,
             const std::string& part) {
  for (const std::string& l : lines) {
    if (l.rfind(start, 0) == 0 && l.find(part) != std::string::npos)
      return true;
  }
  return false;
}

TEST(MailWarnings, NameALocalSenderAndLocalLinksWhenMailGoesOut) {
  std::vector<std::string> lines =
      MailWarnings(RealRelay("no-reply@localhost", "http://127.0.0.1:8080"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(HasLine(
      lines, "warning: MAIL_FROM=no-reply@localhost: ", "will refuse or junk"));
  EXPECT_TRUE(
      HasLine(lines, "warning: BASE_URL=http://127.0.0.1:8080: ", "spam"));
  EXPECT_TRUE(
      HasLine(MailWarnings(RealRelay("a@intranet", "https://reg.example.com")),
              "warning: MAIL_FROM=a@intranet: ", "not a real domain"));
  EXPECT_TRUE(
      HasLine(MailWarnings(RealRelay("a@example.com", "http://localhost:8080")),
              "warning: BASE_URL=http://localhost:8080: ", "loopback"));
  EXPECT_TRUE(
      HasLine(MailWarnings(RealRelay("a@example.com", "https://192.0.2.1")),
              "warning: BASE_URL=https://192.0.2.1: ", "IP address"));
}

TEST(MailWarnings, SayNothingForARealLookingSetupOrTheLocalSink) {
  EXPECT_TRUE(
      MailWarnings(RealRelay("no-reply@example.com", "https://reg.example.com"))
          .empty());
  Config dev;  // the defaults: the dev sink on 127.0.0.1
  EXPECT_TRUE(MailWarnings(dev).empty());
}

}  // namespace
}  // namespace reg
