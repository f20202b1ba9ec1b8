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

class MailJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir());
    sink_ = new Sink(*dir_);
    stack_ = new Stack({}, sink_);
    ASSERT_TRUE(stack_->running()) << stack_->Output();
  }
  static void TearDownTestSuite() {
    EXPECT_TRUE(stack_->Stop()) << "processes left behind";
    delete stack_;
    delete sink_;
    delete dir_;
  }
  void SetUp() override { sink_->Control("{}"); }

  static std::string* dir_;
  static Sink* sink_;
  static Stack* stack_;
};

std::string* MailJobTest::dir_;
Sink* MailJobTest::sink_;
Stack* MailJobTest::stack_;

TEST_F(MailJobTest, AnswerArrivesWhileTheMailIsStillHeldBySmtp) {
  sink_->Control(R"({"hold_data": true})");
  const int before = sink_->MailCount();
  const int held_before = sink_->HeldCount();
  HttpResponse r = stack_->Register("early-finish@example.com", "a good password");
  ASSERT_EQ(r.status, 202) << r.error << r.body;
  // The answer is here; the mail reaches the server's DATA afterwards and
  // is still not accepted (the sink holds its reply).
  ASSERT_TRUE(WaitFor([&] { return sink_->HeldCount() == held_before + 1; }));
  EXPECT_EQ(sink_->MailCount(), before);
  sink_->Control("{}");
  ASSERT_TRUE(WaitFor([&] { return sink_->MailCount() == before + 1; }));
}

TEST_F(MailJobTest, VerificationMailHasTheContractsHeadersAndLinkInBothParts) {
  const int before = sink_->MailCount();
  ASSERT_EQ(stack_->Register("  Mixed.Case+tag@Example.COM ", "a good password").status, 202);
  ASSERT_TRUE(WaitFor([&] { return sink_->MailCount() == before + 1; }));
  const std::string mail = sink_->Mails().back();
  EXPECT_EQ(MailHeader(mail, "To"), "Mixed.Case+tag@Example.COM");
  EXPECT_EQ(MailHeader(mail, "From"), "no-reply@localhost");
  EXPECT_FALSE(MailHeader(mail, "Date").empty());
  EXPECT_THAT(MailHeader(mail, "Message-ID"), ::testing::MatchesRegex("<.+@.+>"));
  EXPECT_EQ(MailHeader(mail, "MIME-Version"), "1.0");
  EXPECT_FALSE(MailHeader(mail, "Subject").empty());
  EXPECT_THAT(MailHeader(mail, "Content-Type"), ::testing::HasSubstr("multipart/alternative"));
  const size_t plain = mail.find("Content-Type: text/plain; charset=utf-8");
  const size_t html = mail.find("Content-Type: text/html; charset=utf-8");
  ASSERT_NE(plain, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  const std::string link = LinkIn(mail);
  ASSERT_FALSE(link.empty());
  EXPECT_EQ(link.rfind(stack_->Url("/activate?token="), 0), 0u) << link;
  EXPECT_THAT(TokenIn(mail), ::testing::MatchesRegex("[A-Za-z0-9_-]{43,}"));
  // The link stands in both parts.
  EXPECT_NE(mail.find(link, plain), std::string::npos);
  EXPECT_NE(mail.find(link, html), std::string::npos);
  // The database keeps only a hash of the token.
  for (const char* f : {"/registrar.db", "/registrar.db-wal"}) {
    EXPECT_EQ(ReadFile(stack_->data_dir() + f).find(TokenIn(mail)), std::string::npos) << f;
  }
}

TEST_F(MailJobTest, EveryMailHasItsOwnMessageId) {
  const int before = sink_->MailCount();
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(stack_->Register("unique-id-" + std::to_string(i) + "@example.com",
                               "a good password").status, 202);
  }
  ASSERT_TRUE(WaitFor([&] { return sink_->MailCount() == before + 3; }));
  std::vector<std::string> mails = sink_->Mails();
  std::set<std::string> ids;
  for (size_t i = mails.size() - 3; i < mails.size(); i++) ids.insert(MailHeader(mails[i], "Message-ID"));
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(MailJobTest, UnsignedOrBadlySignedJobsAre401) {
  const std::string body = R"({"job_id":1})";
  const std::string ct = "Content-Type: application/json";
  EXPECT_EQ(stack_->Post("/internal/mail", body, {ct}).status, 401);
  const long long now = Now();
  std::string sig = SignJob(*stack_, now, body);
  ASSERT_FALSE(sig.empty());
  std::string bad = sig;
  bad.back() = bad.back() == '0' ? '1' : '0';
  EXPECT_EQ(stack_->Post("/internal/mail", body,
                         {ct, "X-Job-Timestamp: " + std::to_string(now), "X-Job-Signature: " + bad}).status,
            401);
  EXPECT_EQ(stack_->Post("/internal/mail", R"({"job_id":2})",
                         {ct, "X-Job-Timestamp: " + std::to_string(now), "X-Job-Signature: " + sig}).status,
            401);
  for (long long skew : {301LL, -301LL}) {
    const long long ts = now + skew;
    EXPECT_EQ(stack_->Post("/internal/mail", body,
                           {ct, "X-Job-Timestamp: " + std::to_string(ts),
                            "X-Job-Signature: " + SignJob(*stack_, ts, body)}).status,
              401) << skew;
  }
}

TEST_F(MailJobTest, SignedPostOfAnUnknownJobIs404) {
  const std::string body = R"({"job_id":987654321})";
  const long long now = Now();
  HttpResponse r = stack_->Post("/internal/mail", body,
                                {"Content-Type: application/json",
                                 "X-Job-Timestamp: " + std::to_string(now),
                                 "X-Job-Signature: " + SignJob(*stack_, now, body)});
  EXPECT_EQ(r.status, 404);
}

TEST_F(MailJobTest, SignedPostOfASentJobIs200AndSendsNothingMore) {
  const int before = sink_->MailCount();
  ASSERT_EQ(stack_->Register("sent-once@example.com", "a good password").status, 202);
  ASSERT_TRUE(WaitFor([&] { return sink_->MailCount() == before + 1; }));
  ASSERT_TRUE(WaitFor([&] { return stack_->Metric("mail_queue_depth") == 0; }));
  const double sent = stack_->Metric("mail_sent_total");
  const long long id = stack_->JobIdFor("sent-once@example.com");
  ASSERT_GT(id, 0);
  const std::string body = "{\"job_id\":" + std::to_string(id) + "}";
  const long long now = Now();
  HttpResponse r = stack_->Post("/internal/mail", body,
                                {"Content-Type: application/json",
                                 "X-Job-Timestamp: " + std::to_string(now),
                                 "X-Job-Signature: " + SignJob(*stack_, now, body)});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack_->Metric("mail_sent_total"), sent);
  EXPECT_EQ(sink_->MailCount(), before + 1);
}

}  // namespace
}  // namespace reg::testing
