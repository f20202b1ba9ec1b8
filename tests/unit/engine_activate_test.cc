// Tokens and Store::Activate on both engines (engine_fixture.h): the
// look-ups, the verification, and its account.verified event.
#include "crypto/token.h"
#include "engine_fixture.h"

namespace reg {
namespace {

class EngineActivateTest : public EngineTest {
 protected:
  // The account.verified event of the account "token" is for, as the
  // caller prepares it before Activate.
  PreparedEvent EventFor(const std::string& token) {
    Result<TokenInfo> info = store_->LookUpToken(TokenHash(token));
    EXPECT_OK(info);
    PreparedEvent event;
    event.account_id = info.ok() ? info.value().account_id : -1;
    event.job.message_id = "evt_" + std::to_string(++events_);
    event.job.sealed = "sealed-event-" + std::to_string(event.account_id);
    return event;
  }
  int events_ = 0;
};

TEST_P(EngineActivateTest, ARegistrationQueuesItsMailAndTheLinkVerifiesOnce) {
  ASSERT_OK(Register("Ada@Example.com", "h", "token-1"));
  EXPECT_EQ(TokenCode("token-1"), Code::kOk);
  Result<ActivateOutcome> activated =
      store_->Activate(TokenHash("token-1"), {});
  ASSERT_OK(activated);
  EXPECT_EQ(activated.value().state, Activation::kVerified);
  Result<ActivateOutcome> again = store_->Activate(TokenHash("token-1"), {});
  ASSERT_OK(again);
  EXPECT_EQ(again.value().state, Activation::kAlreadyVerified);
  // Uniqueness ignores case; a verified address gets the notice.
  Result<RegisterOutcome> later = Register("ada@example.COM", "h", "token-2");
  ASSERT_OK(later);
  EXPECT_EQ(later.value().kind, MailKind::kExists);
  EXPECT_EQ(Totals().registrations, 2);
  EXPECT_EQ(Totals().activations, 1);
}

TEST_P(EngineActivateTest, CheckTokenOfAnUnknownTokenIsNotFound) {
  EXPECT_EQ(TokenCode("nobody"), Code::kNotFound);
  EXPECT_EQ(store_->LookUpToken(TokenHash("nobody")).status().code(),
            Code::kNotFound);
}

TEST_P(EngineActivateTest, CheckTokenIsValidUntilTheTtlAndGoneFromThen) {
  limits_.token_ttl_ms = 10 * kMinute;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Result<TokenState> fresh = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh.value(), TokenState::kValid);
  clock_.AdvanceMs(limits_.token_ttl_ms - 1);
  Result<TokenState> last = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(last);
  EXPECT_EQ(last.value(), TokenState::kValid);
  clock_.AdvanceMs(1);
  EXPECT_EQ(TokenCode("tok-1"), Code::kGone);
  EXPECT_EQ(store_->Activate(TokenHash("tok-1"), {}).status().code(),
            Code::kGone);
}

TEST_P(EngineActivateTest, CheckTokenGivesThePasswordHashOfItsRegistration) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "hash-2", "tok-2"));
  std::string hash;
  ASSERT_OK(store_->CheckToken(TokenHash("tok-1"), &hash));
  EXPECT_EQ(hash, "hash-1");
  ASSERT_OK(store_->CheckToken(TokenHash("tok-2"), &hash));
  EXPECT_EQ(hash, "hash-2");
}

TEST_P(EngineActivateTest, LookUpTokenNamesTheAccountTheLinkIsFor) {
  ASSERT_OK(Register("Ann@Example.com", "hash-1", "tok-1"));
  Result<TokenInfo> info = store_->LookUpToken(TokenHash("tok-1"));
  ASSERT_OK(info);
  EXPECT_EQ(info.value().state, TokenState::kValid);
  EXPECT_EQ(info.value().account_id, Account("ann@example.com").id);
  EXPECT_EQ(info.value().email, "Ann@Example.com");
  EXPECT_EQ(info.value().password_hash, "hash-1");
}

TEST_P(EngineActivateTest, CheckTokenOfAUsedTokenIsUsedEvenAfterItExpires) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  Result<TokenState> used = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(used);
  EXPECT_EQ(used.value(), TokenState::kUsed);
  clock_.AdvanceMs(limits_.token_ttl_ms + 1);
  Result<TokenState> later = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(later);
  EXPECT_EQ(later.value(), TokenState::kUsed);
}

TEST_P(EngineActivateTest,
       ActivateVerifiesTheAccountWithThePasswordOfThatRegistration) {
  ASSERT_OK(Register("ann@example.com", "hash-first", "tok-1"));
  clock_.AdvanceMs(1000);
  ASSERT_OK(Register("ann@example.com", "hash-second", "tok-2"));
  clock_.AdvanceMs(1000);
  const std::int64_t now = clock_.NowMs();
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  const AccountRow ann = Account("ann@example.com");
  EXPECT_EQ(ann.verified_ms, now);
  EXPECT_EQ(ann.password_hash, "hash-first");
  Result<TokenState> used = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(used);
  EXPECT_EQ(used.value(), TokenState::kUsed);
  EXPECT_EQ(Totals().activations, 1);
}

TEST_P(EngineActivateTest,
       ActivateTakesTheSecondPasswordWhenTheSecondLinkIsUsed) {
  ASSERT_OK(Register("ann@example.com", "hash-first", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "hash-second", "tok-2"));
  ASSERT_OK(store_->Activate(TokenHash("tok-2"), {}));
  EXPECT_EQ(Account("ann@example.com").password_hash, "hash-second");
}

TEST_P(EngineActivateTest, ActivatingTheSameTokenTwiceIsOk) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Result<ActivateOutcome> first = store_->Activate(TokenHash("tok-1"), {});
  ASSERT_OK(first);
  EXPECT_EQ(first.value().state, Activation::kVerified);
  const std::int64_t verified = Account("ann@example.com").verified_ms;
  clock_.AdvanceMs(5000);
  Result<ActivateOutcome> again = store_->Activate(TokenHash("tok-1"), {});
  ASSERT_OK(again);
  EXPECT_EQ(again.value().state, Activation::kAlreadyVerified);
  EXPECT_EQ(Account("ann@example.com").verified_ms, verified);
  EXPECT_EQ(Totals().activations, 1);
}

TEST_P(EngineActivateTest, ActivatingAnExpiredTokenIsGoneAndVerifiesNothing) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(limits_.token_ttl_ms);
  Status s = store_->Activate(TokenHash("tok-1"), {}).status();
  EXPECT_EQ(s.code(), Code::kGone) << s.ToString();
  EXPECT_EQ(Account("ann@example.com").verified_ms, 0);
  EXPECT_EQ(Totals().activations, 0);
}

TEST_P(EngineActivateTest, ActivatingAnUnknownTokenIsNotFound) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Status s = store_->Activate(TokenHash("tok-unknown"), {}).status();
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(Account("ann@example.com").verified_ms, 0);
  EXPECT_EQ(TokenCode("tok-1"), Code::kOk);
}

TEST_P(EngineActivateTest,
       AnotherValidTokenOfAVerifiedAccountIsOkAndKeepsThePassword) {
  ASSERT_OK(Register("ann@example.com", "hash-first", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "hash-second", "tok-2"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  const std::int64_t verified = Account("ann@example.com").verified_ms;
  clock_.AdvanceMs(1000);
  Result<ActivateOutcome> other = store_->Activate(TokenHash("tok-2"), {});
  ASSERT_OK(other);
  EXPECT_EQ(other.value().state, Activation::kAlreadyVerified);
  EXPECT_EQ(Account("ann@example.com").password_hash, "hash-first");
  EXPECT_EQ(Account("ann@example.com").verified_ms, verified);
  EXPECT_EQ(Totals().activations, 1);
  Result<TokenState> second = store_->CheckToken(TokenHash("tok-2"));
  ASSERT_OK(second);
  EXPECT_EQ(second.value(), TokenState::kUsed);
}

// --- account.verified events -------------------------------------------------

TEST_P(EngineActivateTest, AFirstVerificationQueuesOneEventInItsTransaction) {
  ASSERT_OK(Register("Ann@Example.com", "h", "tok-1"));
  const PreparedEvent event = EventFor("tok-1");
  const std::int64_t now = clock_.NowMs();
  Result<ActivateOutcome> done = store_->Activate(TokenHash("tok-1"), event);
  ASSERT_OK(done);
  EXPECT_EQ(done.value().state, Activation::kVerified);
  ASSERT_GT(done.value().event_job_id, 0);
  const JobRow row = Row(done.value().event_job_id);
  EXPECT_EQ(row.channel, "webhook");
  EXPECT_EQ(row.kind, "account.verified");
  EXPECT_EQ(row.state, "queued");
  EXPECT_EQ(row.rcpt, "");
  EXPECT_EQ(row.created_ms, now);
  EXPECT_EQ(row.next_attempt_ms, now + event.sweep_grace_ms);
  Result<std::vector<std::int64_t>> jobs =
      store_->AccountJobIds(event.account_id);
  ASSERT_OK(jobs);
  EXPECT_EQ(jobs.value().size(), 2u);  // the mail and the event
  // The event goes through the same claims as mail.
  const ClaimedJob claimed = MustClaim(done.value().event_job_id);
  EXPECT_EQ(claimed.channel, Channel::kWebhook);
  EXPECT_EQ(claimed.message_id, "evt_1");
  EXPECT_EQ(claimed.sealed, event.job.sealed);
  EXPECT_EQ(Stats().events_by_state[static_cast<int>(JobState::kSending)], 1);
  EXPECT_EQ(InState(JobState::kSending), 0);
  ASSERT_OK(outbox_->MarkSent(claimed, "HTTP 204"));
  const OutboxStats stats = Stats();
  EXPECT_EQ(stats.events_by_state[static_cast<int>(JobState::kSent)], 1);
  EXPECT_EQ(stats.by_state[static_cast<int>(JobState::kSent)], 0);
  EXPECT_EQ(stats.delivered, 0);  // the histogram is mail's
  // Events are not registrations.
  EXPECT_EQ(Totals().registrations, 1);
}

TEST_P(EngineActivateTest, ARepeatClickOrASecondLinkQueuesNoEvent) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "h", "tok-2"));
  const PreparedEvent event = EventFor("tok-1");
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), event));
  Result<ActivateOutcome> again = store_->Activate(TokenHash("tok-1"), event);
  ASSERT_OK(again);
  EXPECT_EQ(again.value().event_job_id, 0);
  Result<ActivateOutcome> other =
      store_->Activate(TokenHash("tok-2"), EventFor("tok-2"));
  ASSERT_OK(other);
  EXPECT_EQ(other.value().state, Activation::kAlreadyVerified);
  EXPECT_EQ(other.value().event_job_id, 0);
  int webhooks = 0;
  for (const JobRow& job : Jobs()) webhooks += job.channel == "webhook";
  EXPECT_EQ(webhooks, 1);
}

// An event prepared for another account is refused, and the verification
// with it: nothing is written.
TEST_P(EngineActivateTest, AnEventForAnotherAccountLeavesTheAccountUnverified) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("bob@example.com", "h", "tok-2"));
  Result<ActivateOutcome> wrong =
      store_->Activate(TokenHash("tok-1"), EventFor("tok-2"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kInternal);
  EXPECT_EQ(Account("ann@example.com").verified_ms, 0);
  Result<TokenState> state = store_->CheckToken(TokenHash("tok-1"));
  ASSERT_OK(state);
  EXPECT_EQ(state.value(), TokenState::kValid);
  EXPECT_EQ(Jobs().size(), 2u);
  // The link still works with the right event.
  Result<ActivateOutcome> right =
      store_->Activate(TokenHash("tok-1"), EventFor("tok-1"));
  ASSERT_OK(right);
  EXPECT_GT(right.value().event_job_id, 0);
}

INSTANTIATE_ENGINES(EngineActivateTest);

}  // namespace
}  // namespace reg
