// Bounces and suppression on both engines (engine_fixture.h): a
// notification recorded on its mail, the receipt's "bounced", which
// failures suppress the exact address, for how long, and what lifts it
// (CONTRACT section 8).
#include "engine_fixture.h"

namespace reg {
namespace {

constexpr std::int64_t kSuppressMs = 30 * 24 * kHour;

class BounceCase : public EngineTest {
 protected:
  // Registers "email" with "token" and has its mail accepted; its job id.
  std::int64_t Sent(const std::string& email, const std::string& token) {
    EXPECT_OK(Register(email, "h", token));
    const std::int64_t id = Jobs()[0].id;
    EXPECT_OK(outbox_->MarkSent(MustClaim(id), "250 2.0.0 Ok"));
    return id;
  }
  // The notification of job "id" for "rcpt" as regctl bounce hands it.
  Notification About(std::int64_t id, const std::string& rcpt,
                     const std::string& action, const std::string& status) {
    Notification n;
    n.job_id = id;
    n.created_s = Row(id).created_ms / 1000;
    n.rcpt = rcpt;
    n.action = action;
    n.status = status;
    n.diagnostic = "smtp; 550 " + status + " no such user";
    return n;
  }
  NotificationResult Record(const Notification& n) {
    Result<NotificationResult> r = store_->RecordNotification(n, kSuppressMs);
    EXPECT_OK(r);
    return r.ok() ? r.value() : NotificationResult::kNoSuchJob;
  }
  ReceiptStatus ReceiptOf(const std::string& token) {
    Result<ReceiptStatus> r = store_->Receipt(ReceiptHashOf(token));
    EXPECT_OK(r);
    return r.ok() ? r.value() : ReceiptStatus();
  }
  std::vector<std::string> Suppressed() {
    Result<std::vector<SuppressionRow>> rows = store_->ListSuppressions(50);
    EXPECT_OK(rows);
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const SuppressionRow& r : rows.value()) out.push_back(r.address);
    }
    return out;
  }
};

TEST_P(BounceCase, AFailed511BouncesItsMailAndSuppressesThatExactAddress) {
  const std::int64_t id = Sent("ann@example.com", "tok-1");
  clock_.AdvanceMs(5 * kSecond);
  EXPECT_EQ(Record(About(id, "ANN@example.com", "failed", "5.1.1")),
            NotificationResult::kSuppressed);
  const ReceiptStatus s = ReceiptOf("tok-1");
  EXPECT_EQ(s.state, "bounced");
  EXPECT_EQ(s.detail, "5.1.1");
  EXPECT_EQ(s.since_s, clock_.NowMs() / 1000);
  EXPECT_EQ(EventNames(id).back(), "bounced");
  EXPECT_EQ(Suppressed(), std::vector<std::string>{"ann@example.com"});

  // The next request is answered as usual and sends nothing.
  clock_.AdvanceMs(kMinute);
  Result<RegisterOutcome> again = Register("ann@example.com", "h", "tok-2");
  ASSERT_OK(again);
  EXPECT_EQ(again.value().job_id, 0);
  EXPECT_EQ(ReceiptOf("tok-2").state, "not_sent");
  EXPECT_EQ(ReceiptOf("tok-2").detail, "suppressed");
  // Another address of the same mailbox is not that address.
  Result<RegisterOutcome> other = Register("ann+x@example.com", "h", "tok-3");
  ASSERT_OK(other);
  EXPECT_NE(other.value().job_id, 0);
  const StoreTotals t = Totals();
  EXPECT_EQ(t.bounced, 1);
  EXPECT_EQ(t.suppressed_mails, 1);
  EXPECT_EQ(t.addresses_suppressed, 1);
}

TEST_P(BounceCase, AForgedNotificationChangesNothing) {
  const std::int64_t id = Sent("ann@example.com", "tok-1");
  const std::int64_t other = Sent("bob@example.com", "tok-2");
  Notification wrong_rcpt = About(id, "bob@example.com", "failed", "5.1.1");
  Notification wrong_time = About(id, "ann@example.com", "failed", "5.1.1");
  wrong_time.created_s += 1;
  Notification wrong_job = About(other, "ann@example.com", "failed", "5.1.1");
  Notification no_job = About(id, "ann@example.com", "failed", "5.1.1");
  no_job.job_id = other + 100;
  for (const Notification& n : {wrong_rcpt, wrong_time, wrong_job, no_job}) {
    EXPECT_EQ(Record(n), NotificationResult::kNoSuchJob);
  }
  EXPECT_EQ(ReceiptOf("tok-1").state, "accepted");
  EXPECT_EQ(ReceiptOf("tok-2").state, "accepted");
  EXPECT_TRUE(Suppressed().empty());
  EXPECT_EQ(Totals().bounced, 0);
}

TEST_P(BounceCase, PolicyFullMailboxAndRoutingFailuresSuppressNothing) {
  int n = 0;
  for (const char* status : {"5.7.1", "5.2.2", "5.4.4", "5.0.0", ""}) {
    const std::string token = "tok-" + std::to_string(++n);
    const std::int64_t id = Sent("ann@example.com", token);
    EXPECT_EQ(Record(About(id, "ann@example.com", "failed", status)),
              NotificationResult::kRecorded)
        << status;
    EXPECT_EQ(ReceiptOf(token).state, "bounced");
    EXPECT_EQ(ReceiptOf(token).detail, *status ? status : "5.0.0");
    clock_.AdvanceMs(kHour);  // past MAIL_CAP
  }
  EXPECT_TRUE(Suppressed().empty());
  EXPECT_EQ(Totals().bounced, 5);
}

TEST_P(BounceCase, ANotificationAboutAMailOlderThan7DaysSuppressesNothing) {
  const std::int64_t id = Sent("ann@example.com", "tok-1");
  clock_.AdvanceMs(7 * 24 * kHour + kMinute);
  EXPECT_EQ(Record(About(id, "ann@example.com", "failed", "5.1.1")),
            NotificationResult::kRecorded);
  EXPECT_TRUE(Suppressed().empty());
}

TEST_P(BounceCase, UnsuppressLetsMailGoAndOlderNotificationsNoLonger) {
  const std::int64_t first = Sent("ann@example.com", "tok-1");
  const Notification late = About(first, "ann@example.com", "failed", "5.1.1");
  ASSERT_EQ(Record(late), NotificationResult::kSuppressed);
  clock_.AdvanceMs(kMinute);
  ASSERT_OK(store_->Unsuppress("ann@example.com"));
  EXPECT_EQ(store_->Unsuppress("ann@example.com").code(), Code::kNotFound);
  EXPECT_TRUE(Suppressed().empty());
  Result<RegisterOutcome> again = Register("ann@example.com", "h", "tok-2");
  ASSERT_OK(again);
  EXPECT_NE(again.value().job_id, 0);
  // The same notification again, about a mail from before the lift.
  clock_.AdvanceMs(kMinute);
  EXPECT_EQ(Record(late), NotificationResult::kRecorded);
  EXPECT_TRUE(Suppressed().empty());
}

TEST_P(BounceCase, ARecipientRefusedWith511IsSuppressedOneWith571IsNot) {
  ASSERT_OK(Register("ann@example.com", "h", "tok-1"));
  ASSERT_OK(Register("bob@example.com", "h", "tok-2"));
  const std::vector<JobRow> jobs = Jobs();
  for (const JobRow& j : jobs) {
    const bool ann = j.rcpt == "ann@example.com";
    ASSERT_OK(outbox_->MarkRefused(
        MustClaim(j.id), ann ? "550 5.1.1 <ann@example.com>: no such user"
                             : "554 5.7.1 <bob@example.com>: Relay access denied"));
  }
  EXPECT_EQ(Suppressed(), std::vector<std::string>{"ann@example.com"});
  EXPECT_EQ(ReceiptOf("tok-1").state, "refused");
  EXPECT_EQ(ReceiptOf("tok-1").detail, "5.1.1");
}

TEST_P(BounceCase, DelayedShowsDelayedUntilAFailureOutranksIt) {
  const std::int64_t id = Sent("ann@example.com", "tok-1");
  EXPECT_EQ(Record(About(id, "ann@example.com", "delayed", "4.4.1")),
            NotificationResult::kRecorded);
  EXPECT_EQ(ReceiptOf("tok-1").state, "delayed");
  EXPECT_EQ(Record(About(id, "ann@example.com", "failed", "5.2.1")),
            NotificationResult::kSuppressed);
  EXPECT_EQ(Record(About(id, "ann@example.com", "delayed", "4.4.1")),
            NotificationResult::kRecorded);
  EXPECT_EQ(ReceiptOf("tok-1").state, "bounced");
  EXPECT_EQ(ReceiptOf("tok-1").detail, "5.2.1");
  EXPECT_EQ(Totals().bounced, 1);
}

TEST_P(BounceCase, RetentionForgetsExpiredSuppressions) {
  const std::int64_t id = Sent("ann@example.com", "tok-1");
  Result<NotificationResult> r = store_->RecordNotification(
      About(id, "ann@example.com", "failed", "5.1.1"), kHour);
  ASSERT_OK(r);
  ASSERT_EQ(r.value(), NotificationResult::kSuppressed);
  RetentionPolicy retention;
  Result<RetentionResult> kept = store_->ApplyRetention(retention);
  ASSERT_OK(kept);
  EXPECT_EQ(kept.value().suppressions, 0);
  clock_.AdvanceMs(kHour + kSecond);
  EXPECT_TRUE(Suppressed().empty());  // expired: mail goes again
  EXPECT_EQ(Totals().addresses_suppressed, 0);
  Result<RetentionResult> swept = store_->ApplyRetention(retention);
  ASSERT_OK(swept);
  EXPECT_EQ(swept.value().suppressions, 1);
}

INSTANTIATE_ENGINES(BounceCase);

}  // namespace
}  // namespace reg
