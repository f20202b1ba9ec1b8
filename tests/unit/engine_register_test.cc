// Store::Register and Resend on both engines (engine_fixture.h): accounts,
// tokens, the mail the transaction picks, and what a failure leaves.
#include <thread>

#include "crypto/token.h"
#include "engine_fixture.h"

namespace reg {
namespace {

using EngineRegisterTest = EngineTest;

TEST_P(EngineRegisterTest, ANewAddressGetsAnAccountATokenAndAVerificationJob) {
  const std::int64_t now = clock_.NowMs();
  Result<RegisterOutcome> r = Register("Ann@Example.com", "hash-1", "tok-1");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kVerify);
  ASSERT_GT(r.value().job_id, 0);
  EXPECT_EQ(Totals().registrations, 1);

  ASSERT_EQ(Accounts().size(), 1u);
  const AccountRow account = Account("ann@example.com");  // any case finds it
  EXPECT_EQ(account.email, "Ann@Example.com");
  EXPECT_EQ(account.verified_ms, 0);
  EXPECT_EQ(account.created_ms, now);
  EXPECT_EQ(account.password_hash, "hash-1");
  EXPECT_EQ(account.mails, 1);

  // The token is valid for its TTL, and no longer.
  clock_.AdvanceMs(limits_.token_ttl_ms - 1);
  EXPECT_EQ(TokenCode("tok-1"), Code::kOk);
  clock_.AdvanceMs(1);
  EXPECT_EQ(TokenCode("tok-1"), Code::kGone);

  ASSERT_EQ(Jobs().size(), 1u);
  const JobRow job = Row(r.value().job_id);
  EXPECT_EQ(job.channel, "mail");
  EXPECT_EQ(job.kind, "verify");
  EXPECT_EQ(job.rcpt, "Ann@Example.com");
  EXPECT_EQ(job.state, "queued");
  EXPECT_EQ(job.created_ms, now);
  EXPECT_EQ(job.next_attempt_ms, now + limits_.sweep_grace_ms);
  EXPECT_EQ(EventNames(r.value().job_id), std::vector<std::string>{"queued"});
}

// Both mails come prepared; the transaction picks the one the account's
// state decides.
TEST_P(EngineRegisterTest, TheTransactionQueuesTheMailTheAccountStateDecides) {
  Result<RegisterOutcome> first = Register("ann@example.com", "h", "tok-1");
  ASSERT_OK(first);
  const RegistrationMails first_mails = mails_;
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  Result<RegisterOutcome> second = Register("ann@example.com", "h", "tok-2");
  ASSERT_OK(second);
  EXPECT_EQ(second.value().kind, MailKind::kExists);

  ClaimedJob verify = MustClaim(first.value().job_id);
  EXPECT_EQ(verify.message_id, first_mails.verify.message_id);
  EXPECT_EQ(verify.sealed, first_mails.verify.sealed);
  ClaimedJob exists = MustClaim(second.value().job_id);
  EXPECT_EQ(exists.message_id, mails_.exists.message_id);
  EXPECT_EQ(exists.sealed, mails_.exists.sealed);
  EXPECT_EQ(Row(second.value().job_id).kind, "exists");
}

// A registration prepares no "no account" mail (it makes the account):
// were the mail the transaction picks missing, it fails and writes nothing.
TEST_P(EngineRegisterTest, AMailNotPreparedFailsTheRequestAndWritesNothing) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  const StoreTotals before = Totals();
  const std::size_t jobs = Jobs().size();
  RegistrationMails mails = NextMails();
  mails.exists = {};  // the verified address's notice
  Result<RegisterOutcome> r = store_->Register(
      Registration("ann@example.com", "h", "tok-2"), limits_, mails);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_EQ(Jobs().size(), jobs);
  EXPECT_EQ(Totals().receipts, before.receipts);
  EXPECT_EQ(Totals().registrations, before.registrations);
}

TEST_P(EngineRegisterTest,
       TheSameAddressInAnotherCaseGetsANewTokenButNoSecondAccount) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  Result<RegisterOutcome> r = Register("ANN@EXAMPLE.COM", "hash-2", "tok-2");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kVerify);
  EXPECT_GT(r.value().job_id, 0);
  EXPECT_EQ(Accounts().size(), 1u);
  EXPECT_EQ(TokenCode("tok-1"), Code::kOk);
  EXPECT_EQ(TokenCode("tok-2"), Code::kOk);
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Totals().registrations, 2);
  // The account keeps the first registration's password until a link is
  // used, and its address as first typed.
  EXPECT_EQ(Account("ann@example.com").password_hash, "hash-1");
  EXPECT_EQ(Account("ann@example.com").email, "ann@example.com");
  // The second mail goes where the second registration said.
  EXPECT_EQ(Row(r.value().job_id).rcpt, "ANN@EXAMPLE.COM");
}

TEST_P(EngineRegisterTest,
       AVerifiedAddressGetsAnAccountExistsNoticeAndNoToken) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  Result<RegisterOutcome> r = Register("Ann@example.com", "hash-2", "tok-2");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kExists);
  EXPECT_GT(r.value().job_id, 0);
  EXPECT_EQ(Accounts().size(), 1u);
  EXPECT_EQ(TokenCode("tok-2"), Code::kNotFound);
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Row(r.value().job_id).kind, "exists");
  EXPECT_EQ(Account("ann@example.com").password_hash, "hash-1");
}

// A registration that fails inside its transaction (here: a token hash
// already taken) leaves nothing of itself, and the next one goes through.
TEST_P(EngineRegisterTest, AFailedRegistrationLeavesNothingWritten) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  Result<RegisterOutcome> r = Register("bob@example.com", "h", "tok-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Accounts().size(), 1u);
  EXPECT_EQ(store_->FindAccount("bob@example.com").status().code(),
            Code::kNotFound);
  EXPECT_EQ(Jobs().size(), 1u);
  // A known address: no second token, no second job.
  Result<RegisterOutcome> again = Register("ann@example.com", "h2", "tok-1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(Jobs().size(), 1u);
  EXPECT_EQ(Account("ann@example.com").mails, 1);
  EXPECT_EQ(Totals().registrations, 1);

  Result<RegisterOutcome> next = Register("bob@example.com", "h", "tok-2");
  ASSERT_OK(next);
  EXPECT_EQ(Accounts().size(), 2u);
  EXPECT_EQ(Totals().registrations, 2);
}

TEST_P(EngineRegisterTest, TotalsCountFromTheRows) {
  limits_.mail_cap = 1;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("ann@example.com", "h", "tok-2"));  // capped
  ASSERT_OK(Register("bob@example.com", "h", "tok-3"));
  ASSERT_OK(store_->Activate(TokenHash("tok-3"), {}));
  const StoreTotals t = Totals();
  EXPECT_EQ(t.registrations, 3);
  EXPECT_EQ(t.capped, 1);
  EXPECT_EQ(t.domain_delayed, 0);
  EXPECT_EQ(t.domain_held, 0);
  EXPECT_EQ(t.activations, 1);
  EXPECT_EQ(t.resends, 0);
  EXPECT_EQ(t.retention_accounts, 0);
  EXPECT_EQ(t.retention_mail_bodies, 0);
}

TEST_P(EngineRegisterTest, PingAnswersOk) { EXPECT_OK(store_->Ping()); }

// --- Resend ------------------------------------------------------------------

TEST_P(EngineRegisterTest, AResendToAnUnknownAddressQueuesTheNoAccountMail) {
  Result<RegisterOutcome> r = Resend("Nobody@example.com", "tok-1");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kNoAccount);
  ASSERT_GT(r.value().job_id, 0);
  const JobRow row = Row(r.value().job_id);
  EXPECT_EQ(row.kind, "no_account");
  EXPECT_EQ(row.rcpt, "Nobody@example.com");
  EXPECT_EQ(MustClaim(r.value().job_id).sealed, mails_.no_account.sealed);
  // No account and no link: the mail belongs to nobody.
  EXPECT_EQ(Accounts().size(), 0u);
  EXPECT_EQ(TokenCode("tok-1"), Code::kNotFound);
  // The metrics count registrations and resends to known addresses.
  EXPECT_EQ(Totals().registrations, 0);
  EXPECT_EQ(Totals().resends, 0);
}

// ResendTarget names the registration a resend's link is for, and when it
// was made, so its mail is dated with it; the resend keeps to it.
TEST_P(EngineRegisterTest, AResendsTargetIsTheRegistrationItsLinkIsFor) {
  const std::int64_t first_ms = clock_.NowMs();
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  clock_.AdvanceMs(kHour);
  const std::int64_t second_ms = clock_.NowMs();
  ASSERT_OK(Register("ann@example.com", "hash-2", "tok-2"));
  clock_.AdvanceMs(kHour);

  NewRegistration resend = Registration("Ann@Example.com", "", "tok-3");
  Result<ResendRegistration> newest = store_->ResendTarget(resend);
  ASSERT_OK(newest);
  EXPECT_EQ(newest.value().hash, TokenHash("tok-2"));
  EXPECT_EQ(newest.value().registered_ms, second_ms);

  resend.cookie_receipt_hashes = {ReceiptHashOf("tok-1")};
  Result<ResendRegistration> own = store_->ResendTarget(resend);
  ASSERT_OK(own);
  EXPECT_EQ(own.value().hash, TokenHash("tok-1"));
  EXPECT_EQ(own.value().registered_ms, first_ms);

  // The resend mints its link for the target it read, whatever the
  // cookie says by then.
  resend.cookie_receipt_hashes.clear();
  resend.registration_hash = own.value().hash;
  ASSERT_OK(store_->Resend(resend, limits_, NextMails()));
  std::string hash;
  ASSERT_OK(store_->CheckToken(TokenHash("tok-3"), &hash));
  EXPECT_EQ(hash, "hash-1");

  // No unverified account: no target.
  for (const char* email : {"nobody@example.com", "bob@example.com"}) {
    if (std::string(email) == "bob@example.com") {
      ASSERT_OK(Register(email, "h", "tok-b"));
      ASSERT_OK(store_->Activate(TokenHash("tok-b"), {}));
    }
    Result<ResendRegistration> none =
        store_->ResendTarget(Registration(email, "", "tok-x"));
    ASSERT_OK(none);
    EXPECT_EQ(none.value().hash, "") << email;
    EXPECT_EQ(none.value().registered_ms, 0) << email;
  }
}

TEST_P(EngineRegisterTest,
       AResendToAnUnverifiedAddressMailsALinkForTheLatestPassword) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  clock_.AdvanceMs(1000);
  ASSERT_OK(Register("ann@example.com", "hash-2", "tok-2"));
  clock_.AdvanceMs(1000);
  Result<RegisterOutcome> r = Resend("Ann@Example.com", "tok-3");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kVerify);
  ASSERT_GT(r.value().job_id, 0);
  EXPECT_EQ(Row(r.value().job_id).rcpt, "Ann@Example.com");
  EXPECT_EQ(MustClaim(r.value().job_id).sealed, mails_.verify.sealed);
  std::string hash;
  ASSERT_OK(store_->CheckToken(TokenHash("tok-3"), &hash));
  EXPECT_EQ(hash, "hash-2");
  // The earlier links stay valid; the new one activates the latest password.
  EXPECT_OK(store_->CheckToken(TokenHash("tok-1")));
  ASSERT_OK(store_->Activate(TokenHash("tok-3"), {}));
  EXPECT_EQ(Account("ann@example.com").password_hash, "hash-2");
  const StoreTotals t = Totals();
  EXPECT_EQ(t.registrations, 2);
  EXPECT_EQ(t.resends, 1);
}

TEST_P(EngineRegisterTest, AResendToAVerifiedAddressSendsTheNoticeAndNoToken) {
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  Result<RegisterOutcome> r = Resend("ann@example.com", "tok-2");
  ASSERT_OK(r);
  EXPECT_EQ(r.value().kind, MailKind::kExists);
  EXPECT_GT(r.value().job_id, 0);
  EXPECT_EQ(TokenCode("tok-2"), Code::kNotFound);
  EXPECT_EQ(MustClaim(r.value().job_id).sealed, mails_.exists.sealed);
}

// --- The operator's look-ups -------------------------------------------------

TEST_P(EngineRegisterTest, AccountLookUpsForTheOperator) {
  limits_.mail_cap = 0;
  ASSERT_OK(Register("Zoe@Example.com", "h", "z1"));
  ASSERT_OK(Register("zoe@example.com", "h", "z2"));
  ASSERT_OK(Register("other@example.com", "h", "o1"));
  Result<std::vector<AccountRow>> zoes = store_->ListAccounts("ZOE", 10);
  ASSERT_OK(zoes);
  ASSERT_EQ(zoes.value().size(), 1u);
  EXPECT_EQ(zoes.value()[0].email, "Zoe@Example.com");
  EXPECT_EQ(zoes.value()[0].mails, 2);
  const std::vector<AccountRow> all = Accounts();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].email, "other@example.com");  // newest first
  Result<std::vector<AccountRow>> one = store_->ListAccounts("", 1);
  ASSERT_OK(one);
  EXPECT_EQ(one.value().size(), 1u);
  const AccountRow zoe = Account("ZOE@example.com");
  Result<std::vector<std::int64_t>> jobs = store_->AccountJobIds(zoe.id);
  ASSERT_OK(jobs);
  ASSERT_EQ(jobs.value().size(), 2u);
  EXPECT_LT(jobs.value()[0], jobs.value()[1]);
  EXPECT_EQ(store_->FindAccount("nobody@example.com").status().code(),
            Code::kNotFound);
}

// --- Many at once ------------------------------------------------------------

// Threads with their own Stores register at once (on SQLite, through the
// process's one write lane, in shared batches): every registration is
// written once, and one failing inside its transaction (a token hash
// taken) leaves the others in place.
TEST_P(EngineRegisterTest,
       EightThreadsRegisteringAtOnceWriteEveryRegistrationOnce) {
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<Store>> store = storage_->NewStore();
      if (!store.ok()) {
        failures[t] = kEach;
        return;
      }
      for (int i = 0; i < kEach; i++) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        // Every fifth registration of a thread reuses the token of the
        // one before it.
        const bool fail = i % 5 == 4;
        const std::string token =
            "t" + std::to_string(t) + "-" + std::to_string(fail ? i - 1 : i);
        RegistrationMails mails;
        mails.verify = {"<v" + id + "@group>", "x"};
        mails.exists = {"<e" + id + "@group>", "y"};
        Result<RegisterOutcome> r = store.value()->Register(
            Registration("u" + id + "@example.com", "h", token),
            RegisterLimits(), mails);
        if (r.ok() == fail) failures[t]++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; t++) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
  const std::size_t written = kThreads * kEach * 4 / 5;
  EXPECT_EQ(Accounts().size(), written);
  EXPECT_EQ(Jobs().size(), written);
  EXPECT_EQ(Totals().registrations, static_cast<std::int64_t>(written));
  EXPECT_EQ(TokenCode("t0-3"), Code::kOk);
  EXPECT_EQ(store_->FindAccount("u0-4@example.com").status().code(),
            Code::kNotFound);
}

INSTANTIATE_ENGINES(EngineRegisterTest);

}  // namespace
}  // namespace reg
