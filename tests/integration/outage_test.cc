// Contract §5 with faults injected into the real stack: SMTP down, 4xx,
// 5xx, a worker killed after its answer, a failed post, a job posted many
// times at once.
#include <signal.h>

#include <gmock/gmock.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

std::string Attempts(const Stack& stack, long long id) {
  auto rows = stack.Query("SELECT attempts FROM outbox WHERE id = " +
                          std::to_string(id));
  return rows.empty() ? "" : rows[0];
}

// A stack that retries after 1 s and sweeps every second.
class OutageTest : public StackSuite {
 protected:
  static void SetUpTestSuite() {
    StartStack({{"RETRY_S", "1"}, {"SWEEP_S", "1"}});
  }
  void SetUp() override { sink().Control("{}"); }
};

TEST_F(OutageTest, SmtpDownWhenTheUserRegistersThenBackDeliversTheMailOnce) {
  const std::string to = "smtp-down@example.com";
  sink().Stop();
  const double retries =
      stack().Metric("mail_retries_total{reason=\"connect\"}");
  ASSERT_EQ(stack().Register(to, "a good password").status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return stack().Metric("mail_retries_total{reason=\"connect\"}") >
           std::max(0.0, retries);
  }));
  EXPECT_EQ(stack().JobState(stack().JobIdFor(to)), "queued");
  sink().Start();  // same port
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink(), to).size() == 1; }));
  ASSERT_TRUE(WaitFor(
      [&] { return stack().JobState(stack().JobIdFor(to)) == "sent"; }));
  EXPECT_EQ(MailsTo(sink(), to).size(), 1);
}

TEST_F(OutageTest, Smtp451TwiceThen250SendsOneMailAfterThreeAttempts) {
  const std::string to = "greylisted@example.com";
  sink().Control(
      R"({"data_replies": ["451 4.7.1 greylisted", "451 4.7.1 greylisted"]})");
  ASSERT_EQ(stack().Register(to, "a good password").status, 202);
  const long long id = stack().JobIdFor(to);
  ASSERT_TRUE(WaitFor([&] { return stack().JobState(id) == "sent"; }));
  EXPECT_EQ(MailsTo(sink(), to).size(), 1);
  EXPECT_EQ(Attempts(stack(), id), "3");
  const std::string history = Regctl(stack(), "show " + std::to_string(id));
  EXPECT_NE(history.find("451 4.7.1 greylisted"), std::string::npos) << history;
  EXPECT_NE(history.find("sent"), std::string::npos) << history;
}

TEST_F(OutageTest, Smtp550FailsTheJobForGoodAndRegctlShowsTheReply) {
  const std::string to = "no-such-user@example.com";
  const double failed = stack().Metric("mail_failed_total");
  sink().Control(R"({"rcpt_replies": ["550 5.1.1 no such user"]})");
  ASSERT_EQ(stack().Register(to, "a good password").status, 202);
  const long long id = stack().JobIdFor(to);
  ASSERT_TRUE(WaitFor([&] { return stack().JobState(id) == "failed"; }));
  EXPECT_EQ(stack().Metric("mail_failed_total"), failed + 1);
  EXPECT_EQ(Attempts(stack(), id), "1");
  EXPECT_EQ(MailsTo(sink(), to).size(), 0);
  const std::string shown = Regctl(stack(), "show " + std::to_string(id));
  EXPECT_NE(shown.find("550 5.1.1 no such user"), std::string::npos) << shown;
  EXPECT_NE(Regctl(stack(), "jobs failed").find(to), std::string::npos);
  // The operator retries it once the address is fixed on the server side.
  sink().Control("{}");
  EXPECT_NE(Regctl(stack(), "retry " + std::to_string(id)).find("queued again"),
            std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return stack().JobState(id) == "sent"; }));
  EXPECT_EQ(MailsTo(sink(), to).size(), 1);
}

TEST_F(OutageTest, RegctlPrintsAServersReplyWithControlCharactersEscaped) {
  const std::string to = "escape-reply@example.com";
  // An escape sequence that would clear the operator's screen, and BEL.
  sink().Control(
      R"({"rcpt_replies": ["550 5.1.1 \u001b[2J\u001b[31mgone\u0007"]})");
  ASSERT_EQ(stack().Register(to, "a good password").status, 202);
  const long long id = stack().JobIdFor(to);
  ASSERT_TRUE(WaitFor([&] { return stack().JobState(id) == "failed"; }));
  for (const std::string& out : {Regctl(stack(), "show " + std::to_string(id)),
                                 Regctl(stack(), "jobs failed")}) {
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
    EXPECT_NE(out.find("\\x1b[2J\\x1b[31mgone\\x07"), std::string::npos) << out;
  }
}

// The worker is killed from outside after its answer, before anything
// else sends its job: a dead INTERNAL_URL keeps the post from happening,
// and the kill comes within the 3 s a new job is left to its post. The
// production binary has no hook for this (FAULT_KILL_AFTER_ANSWER, once a
// test hook, is now ignored: the worker lives on).
TEST(KilledWorker, JobOfAWorkerKilledAfterItsAnswerIsSentOnceAWorkerIsBack) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  const std::string dead =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/internal/mail";
  Stack stack({{"WORKERS", "1"},
               {"SWEEP_S", "1"},
               {"INTERNAL_URL", dead},
               {"FAULT_KILL_AFTER_ANSWER", "1"}},
              &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  const pid_t worker = stack.WorkerPids().at(0);
  const std::string to = "killed-worker@example.com";
  HttpResponse r = stack.Register(to, "a good password");
  ASSERT_EQ(r.status, 202) << r.error;
  // The worker lived past its answer: it tried the post, and it failed.
  ASSERT_TRUE(WaitFor([&] {
    return ReadFile(stack.data_dir() + "/registrar.log")
               .find("a sweep will send it") != std::string::npos;
  }));
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  const long long id = stack.JobIdFor(to);
  ASSERT_GT(id, 0);
  // Killed before anyone claimed the job.
  ASSERT_EQ(stack.JobState(id), "queued");
  ASSERT_EQ(Attempts(stack, id), "0");
  ASSERT_TRUE(WaitFor([&] {
    std::vector<pid_t> pids = stack.WorkerPids();
    return !pids.empty() && pids[0] != worker;
  }));
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink, to).size() == 1; }));
  EXPECT_EQ(stack.Query("SELECT detail FROM outbox_events WHERE event = "
                        "'claimed' AND job_id = " +
                        std::to_string(id)),
            std::vector<std::string>{"sweep"});
  EXPECT_TRUE(stack.Stop());
}

TEST(FailedPost, JobWhosePostFailedIsSentByTheSweep) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  // The post goes to a port where nothing listens, as when nginx is down.
  const std::string dead =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/internal/mail";
  Stack stack({{"INTERNAL_URL", dead}, {"SWEEP_S", "1"}}, &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  const std::string to = "post-failed@example.com";
  ASSERT_EQ(stack.Register(to, "a good password").status, 202);
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink, to).size() == 1; }));
  EXPECT_EQ(
      stack.Query("SELECT detail FROM outbox_events WHERE event = 'claimed'"),
      std::vector<std::string>{"sweep"});
  EXPECT_TRUE(stack.Stop());
}

TEST(DuplicatePosts, SameSignedJobPosted20TimesAtOnceSendsOneMail) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  const std::string dead =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/internal/mail";
  // Neither the post nor a sweep sends it: only the posts below.
  Stack stack({{"INTERNAL_URL", dead}, {"SWEEP_S", "3600"}}, &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  const std::string to = "posted-20-times@example.com";
  ASSERT_EQ(stack.Register(to, "a good password").status, 202);
  const long long id = stack.JobIdFor(to);
  ASSERT_GT(id, 0);
  const std::string body = "{\"job_id\":" + std::to_string(id) + "}";
  const long long ts = static_cast<long long>(std::time(nullptr));
  const std::vector<std::string> headers = {
      "Content-Type: application/json",
      "X-Job-Timestamp: " + std::to_string(ts),
      "X-Job-Signature: " + SignJob(stack, ts, body)};
  std::vector<HttpResponse> answers(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; i++) {
    threads.emplace_back([&, i] {
      answers[i] = stack.InternalPost("/internal/mail", body, headers);
    });
  }
  for (auto& t : threads) t.join();
  bool all_answered = true;
  for (const HttpResponse& a : answers) {
    EXPECT_TRUE(a.status == 202 || a.status == 200)
        << a.status << " " << a.error << " " << a.body;
    all_answered = all_answered && a.status > 0;
  }
  // Seen once in a loaded make test (PostgreSQL, ASan): some posts were
  // never answered. Where the workers and nginx were then.
  if (!all_answered) std::printf("%s", stack.Diagnosis().c_str());
  ASSERT_TRUE(WaitFor([&] { return stack.JobState(id) == "sent"; }));
  EXPECT_EQ(MailsTo(sink, to).size(), 1);
  EXPECT_EQ(stack.Metric("mail_sent_total"), 1);
  // The posts' sends raced for one claim; exactly one took it.
  EXPECT_EQ(stack.Query("SELECT count(*) FROM outbox_events WHERE job_id = " +
                        std::to_string(id) + " AND event = 'claimed'"),
            std::vector<std::string>{"1"});
  EXPECT_TRUE(stack.Stop());
}

// With no worker running (killed; the stack starts them again within a
// second), nginx answers 502 itself, with the service's page in the
// client's language, and the pages answer again once a worker is back.
TEST(WorkersDown, NginxAnswers502WithTheServicesPageUntilOneIsBack) {
  Running run({});
  Stack& stack = run.stack;
  ASSERT_TRUE(stack.running()) << stack.Output();
  HttpResponse down;
  // A request right after the kill finds no worker; should the stack have
  // started them again first, kill those.
  for (int i = 0; i < 5 && down.status != 502; i++) {
    ASSERT_TRUE(WaitFor([&] { return !stack.WorkerPids().empty(); }));
    for (pid_t worker : stack.WorkerPids()) kill(worker, SIGKILL);
    down = stack.Get("/", {"Accept-Language: de-CH, de;q=0.9"});
  }
  ASSERT_EQ(down.status, 502) << down.body;
  EXPECT_EQ(down.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_THAT(down.body, ::testing::HasSubstr("<html lang=\"de\""));
  EXPECT_THAT(down.body, ::testing::HasSubstr("Fehler 502"));
  EXPECT_THAT(down.body, ::testing::HasSubstr("Gerade nicht erreichbar"));
  EXPECT_NE(down.Header("content-security-policy"), "");
  EXPECT_TRUE(WaitFor([&] { return stack.Get("/").status == 200; },
                      std::chrono::seconds(10)));
  EXPECT_TRUE(stack.Stop());
}

}  // namespace
}  // namespace reg::testing
