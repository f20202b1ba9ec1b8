// Codes on both engines (engine_fixture.h): a verification mail's code
// (its MAC, kept on the mail's token) verifies only with the own receipt
// of the registration it was mailed for, and wrong codes count per
// mailbox, whatever the receipt (CONTRACT section 8, POST /activate).
#include "engine_fixture.h"

#include "crypto/token.h"

namespace reg {
namespace {

// The MAC the tests give the code "code": the engines only keep and
// compare it.
std::string TestCodeMac(const std::string& code) { return "mac:" + code; }

class EngineCodeTest : public EngineTest {
 protected:
  // Registers (or resends, "resend") "email" with the link "token" whose
  // mail holds "code".
  Result<RegisterOutcome> WithCode(const std::string& email,
                                   const std::string& token,
                                   const std::string& code,
                                   bool resend = false) {
    NewRegistration r = Registration(email, resend ? "" : "h", token);
    r.code_mac = TestCodeMac(code);
    return resend ? store_->Resend(r, limits_, NextMails())
                  : store_->Register(r, limits_, NextMails());
  }

  // Types "code" with the receipt of "token"'s request.
  CodeOutcome Type(const std::string& token, const std::string& code) {
    CodeTry t;
    t.receipt_hash = ReceiptHashOf(token);
    Result<CodeReceipt> known = store_->CodeReceiptOf(t.receipt_hash);
    EXPECT_OK(known);
    if (!known.ok()) return CodeOutcome();
    t.mailbox = known.value().mailbox;
    t.code_mac = TestCodeMac(code);
    t.window_ms = limits_.token_ttl_ms;
    Result<CodeOutcome> out = store_->TryCode(t);
    EXPECT_OK(out);
    return out.ok() ? out.value() : CodeOutcome();
  }
};

TEST_P(EngineCodeTest, TheRightCodeWithItsOwnReceiptNamesTheMailsToken) {
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "123456"));
  CodeOutcome out = Type("tok-1", "123456");
  EXPECT_EQ(out.verdict, CodeVerdict::kRight);
  EXPECT_EQ(out.token_hash, TokenHash("tok-1"));
  // Another code, another registration's receipt: wrong.
  ASSERT_OK(WithCode("bob@example.com", "tok-2", "654321"));
  EXPECT_EQ(Type("tok-1", "654321").verdict, CodeVerdict::kWrong);
  EXPECT_EQ(Type("tok-2", "123456").verdict, CodeVerdict::kWrong);
  // The token named is the one Activate verifies.
  ASSERT_OK(store_->Activate(out.token_hash, std::nullopt));
  EXPECT_TRUE(Account("ann@example.com").verified_ms > 0);
}

TEST_P(EngineCodeTest, AResendsCodeGoesWithTheRegistrationsReceiptNotItsOwn) {
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  ASSERT_OK(WithCode("ann@example.com", "tok-2", "222222", /*resend=*/true));
  // A resend's receipt takes no code, not even its own mail's.
  EXPECT_EQ(Type("tok-2", "222222").verdict, CodeVerdict::kWrong);
  CodeOutcome out = Type("tok-1", "222222");
  EXPECT_EQ(out.verdict, CodeVerdict::kRight);
  EXPECT_EQ(out.token_hash, TokenHash("tok-2"));
  EXPECT_EQ(Type("tok-1", "111111").token_hash, TokenHash("tok-1"));
}

TEST_P(EngineCodeTest, AMailHeldBackByTheCapHasNoCode) {
  limits_.mail_cap = 1;
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  Result<RegisterOutcome> capped =
      WithCode("ann@example.com", "tok-2", "222222");
  ASSERT_OK(capped);
  ASSERT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(Type("tok-2", "222222").verdict, CodeVerdict::kWrong);
}

TEST_P(EngineCodeTest, FiveWrongCodesOfAMailboxStopEveryCodeOfItForTheTtl) {
  limits_.mail_cap = 0;
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  ASSERT_OK(WithCode("Ann+x@Example.com", "tok-2", "222222"));
  ASSERT_OK(WithCode("ann@example.com", "tok-3", "333333", /*resend=*/true));
  ASSERT_OK(WithCode("bob@example.com", "tok-4", "444444"));
  // Wrong codes count for the mailbox, whatever its receipt: an own one,
  // another address of the same mailbox, a resend's.
  for (const char* token : {"tok-1", "tok-2", "tok-3", "tok-1"}) {
    EXPECT_EQ(Type(token, "000000").verdict, CodeVerdict::kWrong) << token;
  }
  // The 5th wrong code already answers as too many (contract: "from the
  // 5th wrong code").
  EXPECT_EQ(Type("tok-2", "000000").verdict, CodeVerdict::kTooMany);
  EXPECT_EQ(Type("tok-1", "111111").verdict, CodeVerdict::kTooMany);
  EXPECT_EQ(Type("tok-2", "222222").verdict, CodeVerdict::kTooMany);
  // Another mailbox is not held.
  EXPECT_EQ(Type("tok-4", "444444").verdict, CodeVerdict::kRight);
  // Once the first wrong codes are older than the window, codes work
  // again (the receipts are renewed: they expire with the window too).
  clock_.AdvanceMs(limits_.token_ttl_ms + kSecond);
  ASSERT_OK(WithCode("ann@example.com", "tok-5", "555555"));
  EXPECT_EQ(Type("tok-5", "555555").verdict, CodeVerdict::kRight);
}

TEST_P(EngineCodeTest, RetentionForgetsWrongCodesOlderThanItsPolicy) {
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  for (int i = 0; i < kMaxWrongCodes; i++) Type("tok-1", "000000");
  EXPECT_EQ(Type("tok-1", "111111").verdict, CodeVerdict::kTooMany);
  RetentionPolicy policy;
  policy.wrong_code_ms = kHour;
  ASSERT_OK(store_->ApplyRetention(policy));
  EXPECT_EQ(Type("tok-1", "111111").verdict, CodeVerdict::kTooMany);
  clock_.AdvanceMs(kHour);
  ASSERT_OK(store_->ApplyRetention(policy));
  EXPECT_EQ(Type("tok-1", "111111").verdict, CodeVerdict::kRight);
}

TEST_P(EngineCodeTest, AnExpiredReceiptIsUnknownAndItsCodeNoLongerWorks) {
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  clock_.AdvanceMs(limits_.token_ttl_ms);
  EXPECT_EQ(store_->CodeReceiptOf(ReceiptHashOf("tok-1")).status().code(),
            Code::kNotFound);
  EXPECT_EQ(store_->CodeReceiptOf(ReceiptHashOf("nobody")).status().code(),
            Code::kNotFound);
  CodeTry t;
  t.receipt_hash = ReceiptHashOf("tok-1");
  t.mailbox = "ann@example.com";
  t.code_mac = TestCodeMac("111111");
  Result<CodeOutcome> out = store_->TryCode(t);
  ASSERT_OK(out);
  EXPECT_EQ(out.value().verdict, CodeVerdict::kWrong);
}

// Store::ResendCodeReceipt for the resend of "token", the cookie holding
// the receipts of "cookie_tokens".
std::string ResendCodeReceiptOf(Store& store, const std::string& token,
                                const std::vector<std::string>& cookie_tokens) {
  std::vector<std::string> cookie;
  for (const std::string& t : cookie_tokens) cookie.push_back(ReceiptHashOf(t));
  Result<std::string> own = store.ResendCodeReceipt(ReceiptHashOf(token), cookie);
  EXPECT_OK(own);
  return own.ok() ? own.value() : "error";
}

TEST_P(EngineCodeTest, AResendsPageFindsTheOwnReceiptItsCodeGoesWith) {
  limits_.mail_cap = 0;
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  clock_.AdvanceMs(kSecond);
  ASSERT_OK(WithCode("ann@example.com", "tok-2", "222222"));
  ASSERT_OK(WithCode("bob@example.com", "tok-3", "333333"));
  // A resend from the browser that made the older registration: its link
  // is for that one, and so is its code.
  NewRegistration again = Registration("ann@example.com", "", "tok-4");
  again.code_mac = TestCodeMac("444444");
  again.cookie_receipt_hashes = {ReceiptHashOf("tok-1")};
  ASSERT_OK(store_->Resend(again, limits_, NextMails()));
  // One from nowhere: for the newest.
  ASSERT_OK(WithCode("ann@example.com", "tok-5", "555555", /*resend=*/true));
  Store& store = *store_;
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-4", {"tok-3", "tok-2", "tok-1"}),
            ReceiptHashOf("tok-1"));
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-4", {"tok-2", "tok-3"}), "");
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-5", {"tok-1", "tok-2"}),
            ReceiptHashOf("tok-2"));
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-5", {}), "");
  // A resend's receipt proves nothing, and an own receipt is no resend's.
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-5", {"tok-4", "tok-5"}), "");
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-1", {"tok-1"}), "");
  EXPECT_EQ(ResendCodeReceiptOf(store, "nobody", {"tok-1"}), "");
  // The code it names is the resent mail's, with that receipt.
  EXPECT_EQ(Type("tok-1", "444444").token_hash, TokenHash("tok-4"));
  // Once the address is verified, there is nothing left to type.
  ASSERT_OK(store_->Activate(TokenHash("tok-4"), std::nullopt));
  EXPECT_EQ(ResendCodeReceiptOf(store, "tok-5", {"tok-2"}), "");
}

TEST_P(EngineCodeTest, AResendHeldBackOrExpiredNamesNoReceipt) {
  limits_.mail_cap = 1;
  ASSERT_OK(WithCode("ann@example.com", "tok-1", "111111"));
  Result<RegisterOutcome> capped =
      WithCode("ann@example.com", "tok-2", "222222", /*resend=*/true);
  ASSERT_OK(capped);
  ASSERT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(ResendCodeReceiptOf(*store_, "tok-2", {"tok-1"}), "");
  limits_.mail_cap = 0;
  ASSERT_OK(WithCode("ann@example.com", "tok-3", "333333", /*resend=*/true));
  EXPECT_EQ(ResendCodeReceiptOf(*store_, "tok-3", {"tok-1"}),
            ReceiptHashOf("tok-1"));
  clock_.AdvanceMs(limits_.token_ttl_ms);
  EXPECT_EQ(ResendCodeReceiptOf(*store_, "tok-3", {"tok-1"}), "");
}

INSTANTIATE_ENGINES(EngineCodeTest);

}  // namespace
}  // namespace reg
