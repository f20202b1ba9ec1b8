// Contract §3-§4 against the real stack: the mail, the early finish, and
// the signed job endpoint.
#include <ctime>
#include <set>
#include <thread>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

long long Now() { return static_cast<long long>(std::time(nullptr)); }

class MailJobTest : public StackSuite {
 protected:
  static void SetUpTestSuite() { StartStack(); }
  void SetUp() override { sink().Control("{}"); }
};

TEST_F(MailJobTest, AnswerArrivesWhileTheMailIsStillHeldBySmtp) {
  sink().Control(R"({"hold_data": true})");
  const int before = sink().MailCount();
  const int held_before = sink().HeldCount();
  HttpResponse r =
      stack().Register("early-finish@example.com", "a good password");
  ASSERT_EQ(r.status, 202) << r.error << r.body;
  // The answer is here; the mail reaches the server's DATA afterwards and
  // is still not accepted (the sink holds its reply).
  ASSERT_TRUE(WaitFor([&] { return sink().HeldCount() == held_before + 1; }));
  EXPECT_EQ(sink().MailCount(), before);
  sink().Control("{}");
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
}

TEST_F(MailJobTest, VerificationMailHasTheContractsHeadersAndLinkInBothParts) {
  const int before = sink().MailCount();
  ASSERT_EQ(stack()
                .Register("  Mixed.Case+tag@Example.COM ", "a good password")
                .status,
            202);
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  const std::string mail = sink().Mails().back();
  EXPECT_EQ(MailHeader(mail, "To"), "Mixed.Case+tag@Example.COM");
  EXPECT_EQ(MailHeader(mail, "From"), "no-reply@localhost");
  EXPECT_FALSE(MailHeader(mail, "Date").empty());
  EXPECT_THAT(MailHeader(mail, "Message-ID"),
              ::testing::MatchesRegex("<.+@.+>"));
  EXPECT_EQ(MailHeader(mail, "MIME-Version"), "1.0");
  EXPECT_FALSE(MailHeader(mail, "Subject").empty());
  EXPECT_THAT(MailHeader(mail, "Content-Type"),
              ::testing::HasSubstr("multipart/alternative"));
  const size_t plain = mail.find("Content-Type: text/plain; charset=utf-8");
  const size_t html = mail.find("Content-Type: text/html; charset=utf-8");
  ASSERT_NE(plain, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  const std::string link = LinkIn(mail);
  ASSERT_FALSE(link.empty());
  EXPECT_EQ(link.rfind(stack().Url("/activate?token="), 0), 0u) << link;
  EXPECT_THAT(TokenIn(mail), ::testing::MatchesRegex("[A-Za-z0-9_-]{43,}"));
  // The link stands in both parts.
  EXPECT_NE(mail.find(link, plain), std::string::npos);
  EXPECT_NE(mail.find(link, html), std::string::npos);
  // The database keeps only a hash of the token.
  for (const char* f : {"/registrar.db", "/registrar.db-wal"}) {
    EXPECT_EQ(ReadFile(stack().data_dir() + f).find(TokenIn(mail)),
              std::string::npos)
        << f;
  }
}

TEST_F(MailJobTest, EveryMailHasItsOwnMessageId) {
  const int before = sink().MailCount();
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(stack()
                  .Register("unique-id-" + std::to_string(i) + "@example.com",
                            "a good password")
                  .status,
              202);
  }
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 3; }));
  std::vector<std::string> mails = sink().Mails();
  std::set<std::string> ids;
  for (size_t i = mails.size() - 3; i < mails.size(); i++)
    ids.insert(MailHeader(mails[i], "Message-ID"));
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(MailJobTest, UnsignedOrBadlySignedJobsAre401) {
  const std::string body = R"({"job_id":1})";
  const std::string ct = "Content-Type: application/json";
  EXPECT_EQ(stack().InternalPost("/internal/mail", body, {ct}).status, 401);
  const long long now = Now();
  std::string sig = SignJob(stack(), now, body);
  ASSERT_FALSE(sig.empty());
  std::string bad = sig;
  bad.back() = bad.back() == '0' ? '1' : '0';
  EXPECT_EQ(stack()
                .InternalPost("/internal/mail", body,
                              {ct, "X-Job-Timestamp: " + std::to_string(now),
                               "X-Job-Signature: " + bad})
                .status,
            401);
  EXPECT_EQ(stack()
                .InternalPost("/internal/mail", R"({"job_id":2})",
                              {ct, "X-Job-Timestamp: " + std::to_string(now),
                               "X-Job-Signature: " + sig})
                .status,
            401);
  // Well past the 300 s window: a post that crosses a second boundary
  // (or waits on a loaded machine) must not bring it back inside. The
  // exact boundary is JobSigner's unit test.
  for (long long skew : {310LL, -310LL}) {
    const long long ts = Now() + skew;
    EXPECT_EQ(
        stack()
            .InternalPost("/internal/mail", body,
                          {ct, "X-Job-Timestamp: " + std::to_string(ts),
                           "X-Job-Signature: " + SignJob(stack(), ts, body)})
            .status,
        401)
        << skew;
  }
}

TEST_F(MailJobTest, SignedPostOfAnUnknownJobIs404) {
  const std::string body = R"({"job_id":987654321})";
  const long long now = Now();
  HttpResponse r =
      stack().InternalPost("/internal/mail", body,
                           {"Content-Type: application/json",
                            "X-Job-Timestamp: " + std::to_string(now),
                            "X-Job-Signature: " + SignJob(stack(), now, body)});
  EXPECT_EQ(r.status, 404);
}

TEST_F(MailJobTest, SignedPostOfASentJobIs200AndSendsNothingMore) {
  const int before = sink().MailCount();
  ASSERT_EQ(stack().Register("sent-once@example.com", "a good password").status,
            202);
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  ASSERT_TRUE(WaitFor([&] { return stack().Metric("mail_queue_depth") == 0; }));
  const double sent = stack().Metric("mail_sent_total");
  const long long id = stack().JobIdFor("sent-once@example.com");
  ASSERT_GT(id, 0);
  const std::string body = "{\"job_id\":" + std::to_string(id) + "}";
  const long long now = Now();
  HttpResponse r =
      stack().InternalPost("/internal/mail", body,
                           {"Content-Type: application/json",
                            "X-Job-Timestamp: " + std::to_string(now),
                            "X-Job-Signature: " + SignJob(stack(), now, body)});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack().Metric("mail_sent_total"), sent);
  EXPECT_EQ(sink().MailCount(), before + 1);
}

}  // namespace
}  // namespace reg::testing
