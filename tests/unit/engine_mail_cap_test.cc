// MAIL_CAP (mails to one mailbox an hour) and MAIL_CAP_TOTAL (the
// service's) on both engines (engine_fixture.h).
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

TEST_P(EngineMailCapTest, TheServiceWideCapStopsMailToEveryAddressForAnHour) {
  limits_.mail_cap = 0;
  limits_.mail_cap_total = 3;
  for (int i = 0; i < 3; i++) {
    Result<RegisterOutcome> r = Register(
        "user" + std::to_string(i) + "@example.com", "h", std::to_string(i));
    ASSERT_OK(r);
    EXPECT_GT(r.value().job_id, 0);
  }
  Result<RegisterOutcome> capped = Register("late@example.com", "h", "late");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().job_id, 0);
  EXPECT_EQ(Jobs().size(), 3u);
  EXPECT_EQ(Totals().capped_service, 1);
  EXPECT_EQ(Totals().capped, 0);
  EXPECT_EQ(Totals().registrations, 4);
  clock_.AdvanceMs(kHour + kSecond);
  Result<RegisterOutcome> later = Register("later@example.com", "h", "later");
  ASSERT_OK(later);
  EXPECT_GT(later.value().job_id, 0);
}

TEST_P(EngineMailCapTest, BothCapsCountTogether) {
  limits_.mail_cap = 2;
  ASSERT_OK(Register("Ann@example.com", "h", "m0"));
  ASSERT_OK(Register("ann+news@example.com", "h", "m1"));
  Result<RegisterOutcome> capped = Register("ANN+x@Example.com", "h", "m2");
  ASSERT_OK(capped);
  EXPECT_EQ(capped.value().job_id, 0);
  ASSERT_OK(Register("bob@example.com", "h", "m3"));
  // MAIL_CAP_TOTAL: three mails this hour so far; the fourth place is the
  // last.
  limits_.mail_cap = 0;
  limits_.mail_cap_total = 4;
  Result<RegisterOutcome> last = Register("cy@example.com", "h", "m4");
  ASSERT_OK(last);
  EXPECT_GT(last.value().job_id, 0);
  Result<RegisterOutcome> over = Register("dee@example.com", "h", "m5");
  ASSERT_OK(over);
  EXPECT_EQ(over.value().job_id, 0);
  const StoreTotals t = Totals();
  EXPECT_EQ(t.capped, 1);
  EXPECT_EQ(t.capped_service, 1);
  EXPECT_EQ(t.registrations, 6);
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
