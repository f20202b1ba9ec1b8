#include "crypto/code.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "testutil.h"

namespace reg {
namespace {

TEST(NewCode, IsSixAsciiDigitsAndVaries) {
  std::set<std::string> seen;
  int leading_zero = 0;
  for (int i = 0; i < 2000; i++) {
    Result<std::string> code = NewCode();
    ASSERT_OK(code);
    ASSERT_EQ(code.value().size(), 6u);
    EXPECT_EQ(code.value().find_first_not_of("0123456789"), std::string::npos)
        << code.value();
    if (code.value()[0] == '0') leading_zero++;
    seen.insert(code.value());
  }
  // 2,000 draws of 10^6 codes: a repeat or two at most (birthday: ~2).
  EXPECT_GT(seen.size(), 1990u);
  // The first digit is 0 a tenth of the time: codes keep their zeros.
  EXPECT_GT(leading_zero, 120);
  EXPECT_LT(leading_zero, 290);
}

TEST(NormalizeCode, DropsSpacesAnywhere) {
  EXPECT_EQ(NormalizeCode("042917"), "042917");
  EXPECT_EQ(NormalizeCode("042 917"), "042917");
  EXPECT_EQ(NormalizeCode("  0 4 2 9 1 7  "), "042917");
  EXPECT_EQ(NormalizeCode("042\t917"), "042917");
}

TEST(NormalizeCode, RefusesAnythingButSixDigits) {
  for (const char* typed :
       {"", "   ", "04291", "0429171", "04291a", "042-917", "042917\n",
        "\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5",  // Arabic digits
        "+42917", "04291\xc2\xa0" "7"}) {
    EXPECT_EQ(NormalizeCode(typed), "") << typed;
  }
}

TEST(CodeMac, IsHexAndDependsOnTheMailboxTheCodeAndTheSecret) {
  Result<CodeMac> a = CodeMac::Create("secret a");
  Result<CodeMac> b = CodeMac::Create("secret b");
  ASSERT_OK(a);
  ASSERT_OK(b);
  const std::string mac = a.value().Mac("ann@example.com", "042917");
  EXPECT_EQ(mac.size(), 64u);
  EXPECT_EQ(mac.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(mac, a.value().Mac("ann@example.com", "042917"));
  EXPECT_NE(mac, a.value().Mac("ann@example.com", "042918"));
  EXPECT_NE(mac, a.value().Mac("bob@example.com", "042917"));
  EXPECT_NE(mac, b.value().Mac("ann@example.com", "042917"));
  // The code is never in it.
  EXPECT_EQ(mac.find("042917"), std::string::npos);
  EXPECT_FALSE(CodeMac::Create("").ok());
}

}  // namespace
}  // namespace reg
