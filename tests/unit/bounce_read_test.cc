// ReadBounce: what `regctl bounce` decides before it opens the database.
#include "mail/bounce.h"

#include <gtest/gtest.h>

#include <string>

namespace reg {
namespace {

const BounceTagger& ReadTagger() {
  static const BounceTagger* tagger =
      new BounceTagger(BounceTagger::Create(std::string(64, 'e')).value());
  return *tagger;
}

constexpr std::int64_t kReadCreatedMs = 1796575200000;

// A Postfix-shaped report with one group for "rcpt".
std::string ReportFor(const std::string& rcpt, const std::string& action,
                      const std::string& status) {
  return "From MAILER-DAEMON  Sun Dec  6 16:40:01 2026\n"
         "Content-Type: multipart/report; report-type=delivery-status;\n"
         "\tboundary=\"B1\"\n\n--B1\nContent-Type: text/plain\n\nsorry\n"
         "--B1\nContent-Type: message/delivery-status\n\n"
         "Reporting-MTA: dns; mail.test\n\n"
         "Final-Recipient: rfc822; " + rcpt + "\nOriginal-Recipient: rfc822;" +
         rcpt + "\nAction: " + action + "\nStatus: " + status +
         "\nDiagnostic-Code: X-Postfix; mailbox unavailable\n\n--B1--\n";
}

std::string EnvelopeFor(std::int64_t job, const std::string& rcpt) {
  return ReadTagger().Sender("bounces@mail.test", job, rcpt, kReadCreatedMs);
}

TEST(ReadBounce, RecordsAFailureForTheTagsJobAndRecipient) {
  const BounceVerdict v = ReadBounce(ReportFor("ghost@nosuch.test", "failed", "5.1.1"),
                                     EnvelopeFor(42, "ghost@nosuch.test"),
                                     ReadTagger());
  ASSERT_TRUE(v.record) << v.why;
  EXPECT_EQ(v.job_id, 42);
  EXPECT_EQ(v.created_s, kReadCreatedMs / 1000);
  EXPECT_EQ(v.rcpt, "ghost@nosuch.test");
  EXPECT_EQ(v.action, "failed");
  EXPECT_EQ(v.status, "5.1.1");
  EXPECT_EQ(v.diagnostic, "mailbox unavailable");
}

TEST(ReadBounce, IgnoresAMissingAForgedOrAnotherJobsTag) {
  const std::string report = ReportFor("ghost@nosuch.test", "failed", "5.1.1");
  // No tag.
  EXPECT_FALSE(ReadBounce(report, "bounces@mail.test", ReadTagger()).record);
  // A tag of the right shape whose MAC is not ours.
  std::string forged = EnvelopeFor(42, "ghost@nosuch.test");
  const std::size_t at = forged.find('@');
  forged[at - 1] = forged[at - 1] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(ReadBounce(report, forged, ReadTagger()).record);
  // Another job's tag: a stranger's own mail's, with a report naming the
  // victim's address (the job id in it is checked against the database).
  EXPECT_FALSE(
      ReadBounce(report, EnvelopeFor(43, "mallory@evil.test"), ReadTagger())
          .record);
  EXPECT_FALSE(
      ReadBounce(report, EnvelopeFor(42, "ann@example.com"), ReadTagger())
          .record);
  // Our tag under another job secret.
  const BounceTagger other = BounceTagger::Create(std::string(64, 'd')).value();
  EXPECT_FALSE(ReadBounce(report, EnvelopeFor(42, "ghost@nosuch.test"), other)
                   .record);
}

TEST(ReadBounce, IgnoresAutoRepliesAndOtherActions) {
  const std::string envelope = EnvelopeFor(42, "ghost@nosuch.test");
  EXPECT_FALSE(ReadBounce("Auto-Submitted: auto-replied\n\naway\n", envelope,
                          ReadTagger())
                   .record);
  EXPECT_FALSE(ReadBounce(ReportFor("ghost@nosuch.test", "delivered", "2.0.0"),
                          envelope, ReadTagger())
                   .record);
  const BounceVerdict delayed = ReadBounce(
      ReportFor("ghost@nosuch.test", "delayed", "4.4.1"), envelope, ReadTagger());
  EXPECT_TRUE(delayed.record);
  EXPECT_EQ(delayed.action, "delayed");
}

}  // namespace
}  // namespace reg
