// Which registration a link is for, on both engines (engine_fixture.h):
// a resend's link is for the registration whose receipt the cookie holds,
// else the newest; a registration's own receipt proves it; wrong
// passwords are counted per link (CONTRACT section 2, POST /activate).
#include "engine_fixture.h"

#include "crypto/token.h"

namespace reg {
namespace {

using EngineRegistrationTest = EngineTest;

TokenInfo MustLookUp(Store& store, const std::string& token) {
  Result<TokenInfo> info = store.LookUpToken(TokenHash(token));
  EXPECT_OK(info);
  return info.ok() ? info.value() : TokenInfo();
}

// A resend from a browser whose cookie holds the receipts of "cookie"'s
// requests.
Result<RegisterOutcome> ResendWithCookie(Store& store,
                                         const std::string& email,
                                         const std::string& token,
                                         const std::vector<std::string>& cookie,
                                         const RegisterLimits& limits,
                                         const RegistrationMails& mails) {
  NewRegistration reg = Registration(email, "", token);
  for (const std::string& c : cookie) {
    reg.cookie_receipt_hashes.push_back(ReceiptHashOf(c));
  }
  return store.Resend(reg, limits, mails);
}

TEST_P(EngineRegistrationTest, AResendsLinkIsForTheCookiesRegistrationElseTheNewest) {
  ASSERT_OK(Register("ann@example.com", "hash-owner", "tok-1"));
  const std::int64_t owner_ms = clock_.NowMs();
  clock_.AdvanceMs(kMinute);
  ASSERT_OK(Register("ann@example.com", "hash-stranger", "tok-2"));

  ASSERT_OK(ResendWithCookie(*store_, "ann@example.com", "tok-3",
                             {"tok-1"}, limits_, NextMails()));
  TokenInfo chosen = MustLookUp(*store_, "tok-3");
  EXPECT_EQ(chosen.registration_hash, TokenHash("tok-1"));
  EXPECT_EQ(chosen.password_hash, "hash-owner");
  EXPECT_EQ(chosen.registered_ms, owner_ms);

  ASSERT_OK(ResendWithCookie(*store_, "ann@example.com", "tok-4", {},
                             limits_, NextMails()));
  TokenInfo newest = MustLookUp(*store_, "tok-4");
  EXPECT_EQ(newest.registration_hash, TokenHash("tok-2"));
  EXPECT_EQ(newest.password_hash, "hash-stranger");
  // A resend's receipt names no registration: it proves nothing.
  Result<bool> proves = store_->ReceiptProves({ReceiptHashOf("tok-4")},
                                              TokenHash("tok-2"));
  ASSERT_OK(proves);
  EXPECT_FALSE(proves.value());
}

TEST_P(EngineRegistrationTest, OnlyTheRegistrationsOwnLiveReceiptProvesIt) {
  ASSERT_OK(Register("ann@example.com", "h1", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "h2", "tok-2"));
  const auto proves = [&](const std::vector<std::string>& receipts,
                          const std::string& token) {
    Result<bool> r = store_->ReceiptProves(receipts, TokenHash(token));
    EXPECT_OK(r);
    return r.ok() && r.value();
  };
  EXPECT_TRUE(proves({ReceiptHashOf("x"), ReceiptHashOf("tok-1")}, "tok-1"));
  EXPECT_FALSE(proves({ReceiptHashOf("tok-2")}, "tok-1"));
  EXPECT_FALSE(proves({}, "tok-1"));
  clock_.AdvanceMs(limits_.token_ttl_ms);
  EXPECT_FALSE(proves({ReceiptHashOf("tok-1")}, "tok-1"));
}

TEST_P(EngineRegistrationTest, WrongPasswordsAreCountedPerLink) {
  ASSERT_OK(Register("ann@example.com", "h1", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "h2", "tok-2"));
  for (int i = 1; i <= 3; i++) {
    Result<int> n = store_->CountWrongPassword(TokenHash("tok-1"));
    ASSERT_OK(n);
    EXPECT_EQ(n.value(), i);
  }
  EXPECT_EQ(MustLookUp(*store_, "tok-1").password_tries, 3);
  EXPECT_EQ(MustLookUp(*store_, "tok-2").password_tries, 0);
  EXPECT_FALSE(MustLookUp(*store_, "tok-2").account_verified);
  ASSERT_OK(store_->Activate(TokenHash("tok-2"), std::nullopt));
  EXPECT_TRUE(MustLookUp(*store_, "tok-1").account_verified);
}

INSTANTIATE_ENGINES(EngineRegistrationTest);

}  // namespace
}  // namespace reg
