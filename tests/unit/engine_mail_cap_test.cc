// MAIL_CAP (mails to one mailbox an hour) and MAIL_CAP_TOTAL (mails to one
// recipient domain an hour, delayed past it) on both engines
// (engine_fixture.h).
#include <atomic>
#include <thread>

#include "crypto/token.h"
#include "engine_fixture.h"

namespace reg {
namespace {

using EngineMailCapTest = EngineTest;

TEST_P(EngineMailCapTest, AThirdMailWithinTheHourIsCappedAndAnsweredAsUsual) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  clock_.AdvanceMs(kMinute);
  ASSERT_OK(Register("ann@example.com", "h", "tok-2"));
  Result<RegisterOutcome> capped = Register("ann@example.com", "h", "tok-3");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().kind, MailKind::kVerify);
  EXPECT_EQ(capped.value().job_id, 0);
  // No link went out, but the registration's token is kept: a resend
  // mints its link for this registration's password, not an older one's.
  EXPECT_EQ(TokenCode("tok-3"), Code::kOk);
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Totals().capped, 1);
  EXPECT_EQ(Totals().registrations, 3);

  // An hour after the first two, mail flows again.
  clock_.AdvanceMs(kHour + kSecond);
  Result<RegisterOutcome> later = Register("ann@example.com", "h", "tok-4");
  ASSERT_OK(later);
  EXPECT_GT(later.value().job_id, 0);
  EXPECT_EQ(Jobs().size(), 3u);
  EXPECT_EQ(Totals().capped, 1);
}

TEST_P(EngineMailCapTest, TheCapCountsAMailboxOnceWhateverItsCaseOrPlusTag) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("Ann+news@Example.com", "h", "tok-2"));
  // Two accounts (the +tag makes another address), one mailbox.
  EXPECT_EQ(Accounts().size(), 2u);
  for (const char* email : {"ANN@EXAMPLE.COM", "ann+x@example.com"}) {
    Result<RegisterOutcome> capped = Register(email, "h", email);
    ASSERT_OK(capped);
    EXPECT_EQ(capped.value().job_id, 0) << email;
  }
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Totals().capped, 2);
  // Another mailbox is not affected.
  Result<RegisterOutcome> other = Register("anne@example.com", "h", "tok-3");
  ASSERT_OK(other);
  EXPECT_GT(other.value().job_id, 0);
}

// One catch-all domain filling its hour delays its own mail, not another
// domain's, and drops none: the fourth mail to it is queued for when the
// first one's place in the hour comes free, the sweeper leaves it until
// then, and its receipt says so.
TEST_P(EngineMailCapTest, TheDomainCapDelaysMailToAFullDomainAndNoOther) {
  limits_.mail_cap = 0;
  limits_.mail_cap_total = 3;
  const std::int64_t t0 = clock_.NowMs();
  for (int i = 0; i < 3; i++) {
    Result<RegisterOutcome> r = Register(
        "user" + std::to_string(i) + "@catchall.test", "h", std::to_string(i));
    ASSERT_OK(r);
    EXPECT_GT(r.value().job_id, 0);
    EXPECT_EQ(r.value().delayed_until_ms, 0);
    EXPECT_EQ(r.value().job_to_post(), r.value().job_id);
    clock_.AdvanceMs(kMinute);
  }
  // The domain counts whatever the case of its letters.
  Result<RegisterOutcome> late = Register("late@CatchAll.TEST", "h", "late");
  ASSERT_OK(late);
  EXPECT_GT(late.value().job_id, 0);
  EXPECT_EQ(late.value().delayed_until_ms, t0 + kHour);
  EXPECT_EQ(late.value().job_to_post(), 0);  // nothing posts it now
  // Another domain has its own hour.
  Result<RegisterOutcome> other = Register("ann@example.com", "h", "ann");
  ASSERT_OK(other);
  EXPECT_EQ(other.value().delayed_until_ms, 0);
  // The next waits for the second one's place; a resend's mail, even the
  // "no account" one, is delayed alike.
  Result<RegisterOutcome> later = Resend("nobody@catchall.test", "nobody");
  ASSERT_OK(later);
  EXPECT_EQ(later.value().kind, MailKind::kNoAccount);
  EXPECT_GT(later.value().job_id, 0);
  EXPECT_EQ(later.value().delayed_until_ms, t0 + kMinute + kHour);

  EXPECT_EQ(Jobs().size(), 6u);  // none dropped
  StoreTotals t = Totals();
  EXPECT_EQ(t.capped, 0);
  EXPECT_EQ(t.registrations, 5);
  EXPECT_EQ(t.domain_delayed, 2);
  EXPECT_EQ(t.domain_held, 2);

  Result<ReceiptStatus> receipt = store_->Receipt(ReceiptHashOf("late"));
  ASSERT_OK(receipt);
  EXPECT_EQ(receipt.value().state, "delayed");
  EXPECT_EQ(receipt.value().detail, "mail_cap");
  EXPECT_EQ(receipt.value().retry_at_s, (t0 + kHour) / 1000);
  // Its mail, and the code in it, are coming: the code may be typed then.
  EXPECT_TRUE(receipt.value().takes_code);

  // The sweeper sends the others and leaves the delayed ones for later.
  clock_.AdvanceMs(kMinute);
  Result<std::vector<ClaimedJob>> due = outbox_->ClaimDue(100);
  ASSERT_OK(due);
  EXPECT_EQ(due.value().size(), 4u);
  for (const ClaimedJob& job : due.value()) {
    EXPECT_NE(job.id, late.value().job_id);
    ASSERT_OK(outbox_->MarkSent(job, "250 ok"));
  }
  EXPECT_EQ(Totals().domain_held, 2);
  clock_.SetMs(t0 + kHour);
  due = outbox_->ClaimDue(100);
  ASSERT_OK(due);
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].id, late.value().job_id);
  t = Totals();
  EXPECT_EQ(t.domain_held, 1);  // the resend's waits a minute more
  EXPECT_EQ(t.domain_delayed, 2);
  receipt = store_->Receipt(ReceiptHashOf("late"));
  ASSERT_OK(receipt);
  EXPECT_EQ(receipt.value().state, "sending");
}

// MAIL_CAP comes first: a mail its mailbox may not have is not sent and
// takes no place in the domain's hour.
TEST_P(EngineMailCapTest, BothCapsCountTogether) {
  limits_.mail_cap = 2;
  limits_.mail_cap_total = 3;
  ASSERT_OK(Register("Ann@example.com", "h", "m0"));
  ASSERT_OK(Register("ann+news@example.com", "h", "m1"));
  Result<RegisterOutcome> capped = Register("ANN+x@Example.com", "h", "m2");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(capped.value().delayed_until_ms, 0);
  Result<RegisterOutcome> last = Register("bob@example.com", "h", "m3");
  ASSERT_OK(last);
  EXPECT_EQ(last.value().delayed_until_ms, 0);  // the hour's third place
  Result<RegisterOutcome> over = Register("cy@example.com", "h", "m4");
  ASSERT_OK(over);
  EXPECT_GT(over.value().job_id, 0);
  EXPECT_GT(over.value().delayed_until_ms, 0);
  const StoreTotals t = Totals();
  EXPECT_EQ(t.capped, 1);
  EXPECT_EQ(t.domain_delayed, 1);
  EXPECT_EQ(t.registrations, 5);
}

TEST_P(EngineMailCapTest, TheCapAlsoHoldsForAVerifiedAccount) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(store_->Activate(TokenHash("tok-1"), {}));
  ASSERT_OK(Register("ann@example.com", "h", "tok-2"));
  Result<RegisterOutcome> capped = Register("ann@example.com", "h", "tok-3");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().kind, MailKind::kExists);
  EXPECT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(Jobs().size(), 2u);
}

TEST_P(EngineMailCapTest, MailCapZeroMeansNoCap) {
  limits_.mail_cap = 0;
  for (int i = 0; i < 6; i++) {
    Result<RegisterOutcome> r =
        Register("ann@example.com", "h", "tok-" + std::to_string(i));
    ASSERT_OK(r);
    EXPECT_GT(r.value().job_id, 0) << "registration " << i;
  }
  EXPECT_EQ(Jobs().size(), 6u);
  EXPECT_EQ(Totals().capped, 0);
}

TEST_P(EngineMailCapTest, TheCapCountsMailsPerAddressNotInTotal) {
  limits_.mail_cap = 1;
  Result<RegisterOutcome> a = Register("a@example.com", "h", "tok-a");
  Result<RegisterOutcome> b = Register("b@example.com", "h", "tok-b");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_GT(a.value().job_id, 0);
  EXPECT_GT(b.value().job_id, 0);
}

TEST_P(EngineMailCapTest, ResendsCountAgainstTheMailCap) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("ann@example.com", "hash-1", "tok-1"));
  Result<RegisterOutcome> first = Resend("ann@example.com", "tok-2");
  ASSERT_OK(first);
  EXPECT_GT(first.value().job_id, 0);
  Result<RegisterOutcome> capped = Resend("ann@example.com", "tok-3");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().job_id, 0);
  // Resends are not registrations, capped or not.
  const StoreTotals t = Totals();
  EXPECT_EQ(t.registrations, 1);
  EXPECT_EQ(t.capped, 0);
  EXPECT_EQ(t.resends, 2);
}

// MAIL_CAP counts a resend's mail in its own mailbox, not the site's.
TEST_P(EngineMailCapTest, AResendIsCappedByItsOwnMailboxOnly) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("bob@example.com", "h", "b1"));
  ASSERT_OK(Register("carl@example.com", "h", "c1"));
  ASSERT_OK(Register("ann@example.com", "h", "a1"));
  Result<RegisterOutcome> second = Resend("ANN@Example.com", "a2");
  ASSERT_OK(second);
  EXPECT_GT(second.value().job_id, 0);  // ann's second mail this hour
  Result<RegisterOutcome> third = Resend("ann@example.com", "a3");
  ASSERT_OK(third);
  EXPECT_EQ(third.value().job_id, 0);  // her third: capped
}

TEST_P(EngineMailCapTest, EventsDoNotCountAgainstTheMailCap) {
  limits_.mail_cap = 1;
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  const AccountRow ann = Account("ann@example.com");
  clock_.AdvanceMs(kHour +
                   kSecond);  // the verification mail is out of the hour
  PreparedEvent event;
  event.account_id = ann.id;
  event.job = {"evt_1", "sealed-event"};
  Result<ActivateOutcome> done = store_->Activate(TokenHash("tok-1"), event);
  ASSERT_OK(done);
  EXPECT_GT(done.value().event_job_id, 0);
  Result<RegisterOutcome> again = Register("ann@example.com", "h", "tok-2");
  ASSERT_OK(again);
  EXPECT_GT(again.value().job_id, 0);  // the notice goes; the event is no mail
}

// Registrations to one mailbox at once, from threads with their own
// Stores (on PostgreSQL, as from several hosts): the cap's last place is
// taken once.
TEST_P(EngineMailCapTest, RegistrationsRacingForTheLastPlaceTakeItOnce) {
  constexpr int kThreads = 6;
  RegisterLimits limits = limits_;
  limits.mail_cap = 2;
  std::atomic<int> queued{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<Store>> store = storage_->NewStore();
      if (!store.ok()) {
        errors++;
        return;
      }
      const std::string n = std::to_string(t);
      Result<RegisterOutcome> r = store.value()->Register(
          Registration("ann+" + n + "@example.com", "h", "race-" + n), limits,
          {{"<v" + n + "@race>", "v"},
           {"<e" + n + "@race>", "e"},
           {"<n" + n + "@race>", "n"}});
      if (!r.ok()) {
        errors++;
      } else if (r.value().job_id != 0) {
        queued++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(queued.load(), 2);
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(Totals().capped, kThreads - 2);
}

// The same race from two processes (on PostgreSQL, two hosts), each
// with its own write lane and several threads, some registering the same
// mailbox in one batch: the two places are taken once, and no process
// waits for the other for good.
TEST_P(EngineMailCapTest, TwoProcessesRacingForTheLastPlacesTakeThemOnce) {
  constexpr int kThreads = 8;
  Storage* other = OtherProcess(policy_);
  ASSERT_NE(other, nullptr);
  RegisterLimits limits = limits_;
  limits.mail_cap = 2;
  std::atomic<int> queued{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Storage& storage = t % 2 == 0 ? *storage_ : *other;
      Result<std::unique_ptr<Store>> store = storage.NewStore();
      if (!store.ok()) {
        errors++;
        return;
      }
      // Two mailboxes, each raced for by both processes.
      const std::string n = std::to_string(t);
      const std::string box = t % 4 < 2 ? "ann" : "bea";
      Result<RegisterOutcome> r = store.value()->Register(
          Registration(box + "+" + n + "@example.com", "h", "race2-" + n),
          limits,
          {{"<v" + n + "@race2>", "v"},
           {"<e" + n + "@race2>", "e"},
           {"<n" + n + "@race2>", "n"}});
      if (!r.ok()) {
        errors++;
      } else if (r.value().job_id != 0) {
        queued++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(queued.load(), 4);
  EXPECT_EQ(Jobs().size(), 4u);
  EXPECT_EQ(Totals().capped, kThreads - 4);
}

// MAIL_CAP counts every kind of mail to a mailbox: verification mails,
// notices and "no account uses this address" mails alike.
TEST_P(EngineMailCapTest, EveryKindOfMailCountsAgainstTheMailboxsHour) {
  limits_.mail_cap = 3;
  Result<RegisterOutcome> nobody = Resend("ann@example.com", "n1");
  ASSERT_OK(nobody);
  EXPECT_EQ(nobody.value().kind, MailKind::kNoAccount);
  EXPECT_GT(nobody.value().job_id, 0);
  ASSERT_OK(Register("Ann@example.com", "h", "r1"));
  Result<RegisterOutcome> tagged = Resend("ann+x@example.com", "n2");
  ASSERT_OK(tagged);
  EXPECT_EQ(tagged.value().kind, MailKind::kNoAccount);  // another address
  EXPECT_GT(tagged.value().job_id, 0);                   // the same mailbox
  EXPECT_EQ(Jobs().size(), 3u);
  // A fourth mail of any kind within the hour is not sent.
  Result<RegisterOutcome> capped = Resend("ann+y@example.com", "n3");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().kind, MailKind::kNoAccount);
  EXPECT_EQ(capped.value().job_id, 0);
  Result<RegisterOutcome> resend = Resend("ann@example.com", "r2");
  ASSERT_OK(resend);
  EXPECT_EQ(resend.value().job_id, 0);
  EXPECT_EQ(Jobs().size(), 3u);
  // A held-back "no account" mail bumps no counter: its receipt records it.
  EXPECT_EQ(Totals().capped, 0);
  EXPECT_EQ(Totals().resends, 1);  // the known address's capped resend
  Result<ReceiptStatus> receipt = store_->Receipt(ReceiptHashOf("n3"));
  ASSERT_OK(receipt);
  EXPECT_EQ(receipt.value().state, "not_sent");
  EXPECT_EQ(receipt.value().detail, "mail_cap");
}

// 3 an hour and 10 a day: the eleventh mail of a day waits for the first
// to be a day old, though its hour has room.
TEST_P(EngineMailCapTest, TheDayCapStopsTheEleventhMailOfADay) {
  limits_.mail_cap = 3;
  limits_.mail_cap_day = 10;
  const std::int64_t start_ms = clock_.NowMs();
  int sent = 0;
  for (int i = 0; sent < 10 && i < 20; i++) {
    Result<RegisterOutcome> r = Resend("bea@example.com", "d" + std::to_string(i));
    ASSERT_OK(r);
    if (r.value().job_id != 0) {
      sent++;
    } else {
      clock_.AdvanceMs(kHour);  // this hour is full
    }
  }
  ASSERT_EQ(sent, 10);
  EXPECT_LT(clock_.NowMs() - start_ms, 4 * kHour);
  Result<RegisterOutcome> eleventh = Resend("bea@example.com", "d-11");
  ASSERT_OK(eleventh);
  EXPECT_EQ(eleventh.value().job_id, 0);  // the hour has one, the day ten
  clock_.AdvanceMs(start_ms + 24 * kHour + kSecond - clock_.NowMs());
  Result<RegisterOutcome> next_day = Resend("bea@example.com", "d-12");
  ASSERT_OK(next_day);
  EXPECT_GT(next_day.value().job_id, 0);
  EXPECT_EQ(Jobs().size(), 11u);
}

INSTANTIATE_ENGINES(EngineMailCapTest);

}  // namespace
}  // namespace reg
