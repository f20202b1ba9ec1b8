// The engine-neutral storage policy (storage/jobs.h, storage/mail_cap.h,
// storage/totals.h), without an engine: the engines' own tests are
// engine_*_test.cc.
#include <gtest/gtest.h>

#include "storage/jobs.h"
#include "storage/mail_cap.h"
#include "storage/totals.h"

namespace reg {
namespace {

constexpr std::int64_t kS = 1000;

OutboxPolicy Policy() {
  OutboxPolicy p;
  p.retry_ms = 30 * kS;
  p.max_retry_ms = 3600 * kS;
  p.retry_for_ms = 100 * kS;
  return p;
}

TEST(NextAttemptMs, WaitsTheDoublingDelayThenFallsOnTheGiveUpTime) {
  ClaimedJob job;
  job.created_ms = 0;
  job.attempts = 1;
  EXPECT_EQ(NextAttemptMs(Policy(), job, 10 * kS), 40 * kS);
  job.attempts = 2;
  EXPECT_EQ(NextAttemptMs(Policy(), job, 20 * kS), 80 * kS);
  job.attempts = 3;  // 120 s would pass the give-up time (100 s)
  EXPECT_EQ(NextAttemptMs(Policy(), job, 30 * kS), 100 * kS);
  EXPECT_EQ(NextAttemptMs(Policy(), job, 100 * kS - 1), 100 * kS);
  EXPECT_EQ(NextAttemptMs(Policy(), job, 100 * kS), std::nullopt);
}

TEST(SortById, PutsClaimsInIdOrder) {
  std::vector<ClaimedJob> jobs(3);
  jobs[0].id = 7;
  jobs[1].id = 2;
  jobs[2].id = 5;
  SortById(&jobs);
  EXPECT_EQ(jobs[0].id, 2);
  EXPECT_EQ(jobs[1].id, 5);
  EXPECT_EQ(jobs[2].id, 7);
}

TEST(RegistrationJob, TakesTheMailOfTheKindTheTransactionDecided) {
  NewRegistration reg;
  reg.email = "Ann@Example.com";
  reg.mailbox = "ann@example.com";
  const RegistrationMails mails{
      {"<v>", "verify"}, {"<e>", "exists"}, {"<n>", "no_account"}};
  RegisterLimits limits;
  limits.sweep_grace_ms = 3 * kS;
  NewJob job = RegistrationJob(reg, 9, MailKind::kExists, /*resend=*/true,
                               mails, limits, 100 * kS, 0);
  EXPECT_EQ(job.user_id, 9);
  EXPECT_EQ(job.channel, Channel::kMail);
  EXPECT_EQ(job.kind, "exists");
  EXPECT_EQ(job.cause, "resend");
  EXPECT_EQ(job.rcpt, "Ann@Example.com");
  EXPECT_EQ(job.mailbox, "ann@example.com");
  EXPECT_EQ(job.message_id, "<e>");
  EXPECT_EQ(job.sealed, "exists");
  EXPECT_EQ(job.created_ms, 100 * kS);
  EXPECT_EQ(job.due_ms, 103 * kS);
  EXPECT_EQ(job.domain, "example.com");
  EXPECT_EQ(job.cap_ms, 100 * kS);
  job = RegistrationJob(reg, 9, MailKind::kVerify, false, mails, limits, 0, 0);
  EXPECT_EQ(job.kind, "verify");
  EXPECT_EQ(job.cause, "register");
  EXPECT_EQ(job.sealed, "verify");
}

TEST(RegistrationJob, ADelayedMailIsDueAndCountedWhenItsDomainHasRoom) {
  NewRegistration reg;
  reg.email = "ann@Example.com";
  reg.mailbox = "ann@example.com";
  const RegistrationMails mails{
      {"<v>", "verify"}, {"<e>", "exists"}, {"<n>", "no_account"}};
  const NewJob job = RegistrationJob(reg, 9, MailKind::kVerify, false, mails,
                                     RegisterLimits(), 100 * kS, 900 * kS);
  EXPECT_EQ(job.created_ms, 100 * kS);
  EXPECT_EQ(job.due_ms, 900 * kS);  // no grace: nothing posts it at once
  EXPECT_EQ(job.cap_ms, 900 * kS);
}

TEST(MailDomain, IsThePartAfterTheLastAt) {
  EXPECT_EQ(MailDomain("ann@example.com"), "example.com");
  EXPECT_EQ(MailDomain("ann@mail.example.com"), "mail.example.com");
  EXPECT_EQ(MailDomain("a@b@example.org"), "example.org");
  EXPECT_EQ(MailDomain("nodomain"), "nodomain");
}

TEST(RegistrationJob, TheNoAccountMailBelongsToNoAccount) {
  NewRegistration reg;
  reg.email = "nobody@example.com";
  reg.mailbox = "nobody@example.com";
  const RegistrationMails mails{
      {"<v>", "verify"}, {"<e>", "exists"}, {"<n>", "no_account"}};
  NewJob job = RegistrationJob(reg, 0, MailKind::kNoAccount, /*resend=*/true,
                               mails, RegisterLimits(), 0, 0);
  EXPECT_EQ(job.user_id, 0);
  EXPECT_EQ(job.kind, "no_account");
  EXPECT_EQ(job.cause, "resend");
  EXPECT_EQ(job.message_id, "<n>");
  EXPECT_EQ(job.mailbox, "nobody@example.com");  // MAIL_CAP counts it
}

TEST(MailCapDay, IsTenADayNeverBelowTheHourAndOffWithIt) {
  EXPECT_EQ(MailCapDay(3), 10);
  EXPECT_EQ(MailCapDay(10), 10);
  EXPECT_EQ(MailCapDay(20), 20);
  EXPECT_EQ(MailCapDay(0), 0);
}

TEST(HeldBackBy, ASuppressedAddressGoesBeforeTheCapAndNamesItsCounter) {
  const MailCapVerdict capped{true, 0, "mail_capped_total"};
  const HeldBack suppressed = HeldBackBy(true, capped);
  EXPECT_EQ(suppressed.reason, NotSent::kSuppressed);
  EXPECT_STREQ(suppressed.counter, "mail_suppressed_total");
  const HeldBack cap = HeldBackBy(false, capped);
  EXPECT_EQ(cap.reason, NotSent::kMailCap);
  EXPECT_STREQ(cap.counter, "mail_capped_total");
  const HeldBack goes = HeldBackBy(false, MailCapVerdict{});
  EXPECT_EQ(goes.reason, NotSent::kNo);
  EXPECT_EQ(goes.delay_until_ms, 0);
  EXPECT_EQ(goes.counter, nullptr);
  // A delayed mail goes, later, and its counter records the delay; a
  // suppressed address still gets nothing.
  const MailCapVerdict delayed{false, 7 * kS, kDomainDelayedCounter};
  const HeldBack later = HeldBackBy(false, delayed);
  EXPECT_EQ(later.reason, NotSent::kNo);
  EXPECT_EQ(later.delay_until_ms, 7 * kS);
  EXPECT_STREQ(later.counter, "mail_domain_delayed_total");
  EXPECT_EQ(HeldBackBy(true, delayed).reason, NotSent::kSuppressed);
  EXPECT_EQ(HeldBackBy(true, delayed).delay_until_ms, 0);
}

TEST(MailCapOf, HoldsBackPastTheHourOrTheDayAndNamesItsCounter) {
  RegisterLimits limits;
  limits.mail_cap = 3;
  limits.mail_cap_day = 10;
  limits.mail_cap_total = 100;
  const std::int64_t now = 10 * 3600 * kS;
  MailCounts counts{2, 9, 0};
  EXPECT_FALSE(MailCapOf(counts, limits, MailKind::kVerify, false, now).capped);
  counts = {3, 3, 0};  // the hour is full
  MailCapVerdict v = MailCapOf(counts, limits, MailKind::kVerify, false, now);
  EXPECT_TRUE(v.capped);
  EXPECT_EQ(v.delay_until_ms, 0);
  EXPECT_STREQ(v.counter, "mail_capped_total");
  counts = {1, 10, 0};  // the day is full
  EXPECT_TRUE(MailCapOf(counts, limits, MailKind::kExists, false, now).capped);
  EXPECT_STREQ(MailCapOf(counts, limits, MailKind::kVerify, true, now).counter,
               "resend_capped_total");
  // A held-back "no account" mail is recorded by its receipt alone.
  v = MailCapOf(counts, limits, MailKind::kNoAccount, true, now);
  EXPECT_TRUE(v.capped);
  EXPECT_EQ(v.counter, nullptr);
  // MAIL_CAP 0: no mailbox cap, the day's neither.
  limits.mail_cap = 0;
  limits.mail_cap_total = 0;
  EXPECT_FALSE(
      MailCapOf({50, 50, now}, limits, MailKind::kVerify, false, now).capped);
}

TEST(MailCapOf, DelaysPastTheDomainsHourUntilItHasRoom) {
  RegisterLimits limits;
  limits.mail_cap = 3;
  limits.mail_cap_total = 100;
  const std::int64_t now = 10 * 3600 * kS;
  // The domain's 100th newest mail went 20 minutes ago: its place in the
  // hour is free 40 minutes from now.
  MailCounts counts{0, 0, now - 1200 * kS};
  for (MailKind kind :
       {MailKind::kVerify, MailKind::kExists, MailKind::kNoAccount}) {
    const MailCapVerdict v = MailCapOf(counts, limits, kind, false, now);
    EXPECT_FALSE(v.capped);
    EXPECT_EQ(v.delay_until_ms, now + 2400 * kS);
    EXPECT_STREQ(v.counter, "mail_domain_delayed_total");
  }
  // Delayed mail counts at its own time: the 100th newest may be later
  // than now, and the next mail waits an hour after it.
  counts.domain_nth_newest_ms = now + 600 * kS;
  EXPECT_EQ(MailCapOf(counts, limits, MailKind::kVerify, true, now)
                .delay_until_ms,
            now + 4200 * kS);
  // Fewer than 100 in the hour (0), or the 100th an hour old: it goes now.
  counts.domain_nth_newest_ms = 0;
  EXPECT_EQ(MailCapOf(counts, limits, MailKind::kVerify, false, now)
                .delay_until_ms,
            0);
  counts.domain_nth_newest_ms = now - 3600 * kS;
  const MailCapVerdict goes =
      MailCapOf(counts, limits, MailKind::kVerify, false, now);
  EXPECT_EQ(goes.delay_until_ms, 0);
  EXPECT_EQ(goes.counter, nullptr);
  // The mailbox's cap comes first: a full mailbox is not sent at all.
  counts = {3, 3, now - 1200 * kS};
  const MailCapVerdict capped =
      MailCapOf(counts, limits, MailKind::kVerify, false, now);
  EXPECT_TRUE(capped.capped);
  EXPECT_EQ(capped.delay_until_ms, 0);
  // MAIL_CAP_TOTAL 0: never delayed.
  limits.mail_cap_total = 0;
  EXPECT_EQ(MailCapOf({0, 0, now}, limits, MailKind::kVerify, false, now)
                .delay_until_ms,
            0);
}

TEST(VerifiedEventJob, IsRefusedForAnotherAccount) {
  PreparedEvent event;
  event.account_id = 4;
  event.job = {"evt_1", "body"};
  Result<NewJob> job = VerifiedEventJob(event, 4, 50 * kS);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job.value().channel, Channel::kWebhook);
  EXPECT_EQ(job.value().kind, "account.verified");
  EXPECT_EQ(job.value().cause, "activate");
  EXPECT_EQ(job.value().rcpt, "");
  EXPECT_EQ(job.value().due_ms, 50 * kS + event.sweep_grace_ms);
  EXPECT_EQ(VerifiedEventJob(event, 5, 0).status().code(), Code::kInternal);
}

// What Retire folds into the counters, AddRetired and TotalsFrom give back.
TEST(Totals, RetiredFiguresComeBackInEveryTotal) {
  JobFigures figures;
  figures.register_jobs = 2;
  figures.resend_jobs = 1;
  figures.sent = 2;
  figures.failed = 1;
  figures.retries = {{"4xx", 3}, {"timeout", 1}};
  figures.delivered = 2;
  figures.delivery_ms_sum = 900;
  figures.delivered_within.assign(kDeliveryBucketCount, 2);
  Counters counters;
  Retire(figures, &counters);
  Retire(figures, &counters);  // a second account adds to the first
  CountRetention({2, 5}, &counters);
  counters["mail_capped_total"] = 1;

  OutboxStats stats;
  stats.by_state[static_cast<int>(JobState::kSent)] = 10;
  stats.retries = {{"4xx", 1}};
  stats.delivered = 10;
  stats.delivered_within.assign(kDeliveryBucketCount, 1);
  AddRetired(counters, &stats);
  EXPECT_EQ(stats.sent_total, 14);
  EXPECT_EQ(stats.failed_total, 2);
  EXPECT_EQ(stats.delivered, 14);
  EXPECT_EQ(stats.delivery_ms_sum, 1800);
  EXPECT_EQ(stats.delivered_within[0], 5);
  ASSERT_EQ(stats.retries.size(), 2u);
  EXPECT_EQ(stats.retries[0], std::make_pair(std::string("4xx"), 7L));
  EXPECT_EQ(stats.retries[1], std::make_pair(std::string("timeout"), 2L));

  const StoreTotals t = TotalsFrom({3, 1, 6}, counters);
  EXPECT_EQ(t.registrations, 3 + 4 + 1);  // rows, retired, capped
  EXPECT_EQ(t.resends, 1 + 2);
  EXPECT_EQ(t.activations, 6);
  EXPECT_EQ(t.capped, 1);
  EXPECT_EQ(t.retention_accounts, 2);
  EXPECT_EQ(t.retention_mail_bodies, 5);
  EXPECT_EQ(CounterValue(counters, "no such counter"), 0);
}

TEST(CappedCounter, NamesTheCounterOfARegistrationAndOfAResend) {
  EXPECT_STREQ(CappedCounter(false), "mail_capped_total");
  EXPECT_STREQ(CappedCounter(true), "resend_capped_total");
}

TEST(Totals, DomainCapFiguresAndTheOldServiceCapsRegistrations) {
  Counters counters;
  counters["mail_capped_service_total"] = 2;  // from when it dropped mail
  counters["mail_domain_delayed_total"] = 5;
  RowTotals rows;
  rows.register_jobs = 3;
  rows.domain_held = 4;
  const StoreTotals t = TotalsFrom(rows, counters);
  EXPECT_EQ(t.registrations, 3 + 2);
  EXPECT_EQ(t.domain_delayed, 5);
  EXPECT_EQ(t.domain_held, 4);
}

}  // namespace
}  // namespace reg
