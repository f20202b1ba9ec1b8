#include "http/password_policy.h"

#include <unistd.h>

#include <fstream>

#include "testutil.h"

namespace reg {
namespace {

class PasswordPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/policy-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    path_ = std::string(tmpl) + "/list.lst";
    std::ofstream(path_)
        << "#!comment: a header line\n123456\nsunshine1\r\nPassword1\n"
        << "#!comment:\nqwertyuiop\n";
  }
  std::string path_;
};

TEST_F(PasswordPolicyTest, RefusesListedPasswordsIgnoringCase) {
  Result<PasswordPolicy> p = PasswordPolicy::Load(path_, 8);
  ASSERT_OK(p);
  EXPECT_EQ(p.value().size(), 3u);  // 123456 is too short to matter
  EXPECT_NE(p.value().Check("password1", "a@example.com"), "");
  EXPECT_NE(p.value().Check("SUNSHINE1", "a@example.com"), "");
  EXPECT_NE(p.value().Check("QwertyUiop", "a@example.com"), "");
  EXPECT_EQ(p.value().Check("qwertyuiop!", "a@example.com"), "");
}

// A worker's COMMON_PASSWORDS: the list with the contract's length rule,
// or only the address rule when there is none or it cannot be read.
TEST_F(PasswordPolicyTest, LoadOrWarnFallsBackToTheAddressRuleAlone) {
  EXPECT_EQ(PasswordPolicy::LoadOrWarn(path_).size(), 3u);
  EXPECT_EQ(PasswordPolicy::LoadOrWarn("").size(), 0u);
  const PasswordPolicy none = PasswordPolicy::LoadOrWarn("/nonexistent/lst");
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.Check("ann@example.com", "ann@example.com"),
            "field.password_is_email");
}

TEST_F(PasswordPolicyTest, SkipsCommentLines) {
  Result<PasswordPolicy> p = PasswordPolicy::Load(path_, 8);
  ASSERT_OK(p);
  EXPECT_EQ(p.value().Check("#!comment: a header line", "a@example.com"), "");
}

TEST(PasswordPolicy, RefusesTheAddressOrItsLocalPart) {
  PasswordPolicy p;
  EXPECT_NE(p.Check("ada.lovelace@example.com", "Ada.Lovelace@Example.com"),
            "");
  EXPECT_NE(p.Check("ADA.LOVELACE", "ada.lovelace@example.com"), "");
  EXPECT_EQ(p.Check("ada.lovelace1", "ada.lovelace@example.com"), "");
}

TEST(PasswordPolicy, MissingListIsNotFound) {
  EXPECT_EQ(PasswordPolicy::Load("/nonexistent/list.lst", 8).status().code(),
            Code::kNotFound);
}

TEST(PasswordPolicy, DebiansJohnListCatchesTheUsualSuspects) {
  Result<PasswordPolicy> p =
      PasswordPolicy::Load("/usr/share/john/password.lst", 8);
  ASSERT_OK(p);
  EXPECT_GT(p.value().size(), 500u);
  for (const char* pw : {"password", "12345678", "iloveyou", "Password1"}) {
    EXPECT_NE(p.value().Check(pw, "a@example.com"), "") << pw;
  }
  EXPECT_EQ(p.value().Check("a good password", "a@example.com"), "");
}

}  // namespace
}  // namespace reg
