// Contract §6 against the real stack: account.verified events posted to a
// real receiver (tools/webhook_receiver.py) that checks every signature,
// with the receiver failing, down, slow, and a worker killed after the
// activation's answer.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {


// The receiver's recorded lines that concern "email" (events) or its
// event id (attempts).
std::vector<nlohmann::json> EventsFor(const Receiver& receiver,
                                      const std::string& email) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : receiver.Events()) {
    nlohmann::json e = nlohmann::json::parse(line);
    if (e["data"]["email"] == email) out.push_back(std::move(e));
  }
  return out;
}

std::vector<nlohmann::json> AttemptsFor(const Receiver& receiver,
                                        const std::string& event_id) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : receiver.Attempts()) {
    nlohmann::json a = nlohmann::json::parse(line);
    if (a["id"] == event_id) out.push_back(std::move(a));
  }
  return out;
}

// Registers "email" and returns the token its verification mail carries.
std::string RegisterForToken(const Stack& stack, const Sink& sink,
                             const std::string& email) {
  HttpResponse r = stack.Register(email, kPassword);
  EXPECT_EQ(r.status, 202) << r.error << r.body;
  if (!WaitFor([&] { return MailsTo(sink, email).size() == 1; })) return "";
  for (const std::string& m : sink.Mails()) {
    if (MailHeader(m, "To") == email) return TokenIn(m);
  }
  return "";
}

HttpResponse Activate(const Stack& stack, const std::string& token) {
  // Another browser than the registering one: with the password.
  return stack.Post("/activate", "token=" + token + "&password=a+good+password",
                    {kForm});
}

// The event row of "email"'s account: {state, attempts}; empty if none.
std::vector<std::string> EventRow(const Stack& stack,
                                  const std::string& email) {
  return stack.Query(
      "SELECT o.state || ' ' || o.attempts FROM outbox o JOIN users u ON "
      "u.id = o.user_id WHERE o.channel = 'webhook' AND u.email = '" +
      email + "'");
}

class WebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const int port = FreePort();
    run_ =
        new Running({{"WEBHOOK_URL",
                      "http://127.0.0.1:" + std::to_string(port) + "/events"},
                     {"RETRY_S", "1"},
                     {"SWEEP_S", "1"}});
    ASSERT_TRUE(run_->stack.running()) << run_->stack.Output();
    receiver_ = new Receiver(run_->dir,
                             run_->stack.data_dir() + "/webhook.secret", port);
    receiver_->Start();
  }
  static void TearDownTestSuite() {
    delete receiver_;
    receiver_ = nullptr;
    if (run_ == nullptr) return;
    EXPECT_TRUE(run_->stack.Stop());
    delete run_;
    run_ = nullptr;
  }
  void SetUp() override { receiver_->Control("{}"); }

  static Stack& stack() { return run_->stack; }
  static Sink& sink() { return run_->sink; }
  static Receiver& receiver() { return *receiver_; }

  // Registers and verifies "email"; the activation's answer.
  static HttpResponse Verify(const std::string& email) {
    const std::string token = RegisterForToken(stack(), sink(), email);
    EXPECT_FALSE(token.empty());
    return Activate(stack(), token);
  }

 private:
  static Running* run_;
  static Receiver* receiver_;
};

Running* WebhookTest::run_ = nullptr;
Receiver* WebhookTest::receiver_ = nullptr;

TEST_F(WebhookTest, OneSignedEventPerVerificationNoneForARepeatClick) {
  const std::string email = "Event.One@example.com";
  const std::string token = RegisterForToken(stack(), sink(), email);
  ASSERT_FALSE(token.empty());
  const std::time_t before = std::time(nullptr);
  ASSERT_EQ(Activate(stack(), token).status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return EventsFor(receiver(), email).size() == 1; }));
  const nlohmann::json event = EventsFor(receiver(), email)[0];
  EXPECT_EQ(event["type"], "account.verified");
  EXPECT_EQ(event["data"]["email"], email);  // as typed
  const std::vector<std::string> id =
      stack().Query("SELECT id FROM users WHERE email = '" + email + "'");
  ASSERT_EQ(id.size(), 1u);
  EXPECT_EQ(event["data"]["account_id"], std::stoll(id[0]));
  EXPECT_GE(event["created"].get<long long>(), before - 1);
  EXPECT_LE(event["created"].get<long long>(), std::time(nullptr));
  // Every attempt for it carried a valid signature; it was taken once.
  const std::vector<nlohmann::json> attempts =
      AttemptsFor(receiver(), event["id"]);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_TRUE(attempts[0]["valid"].get<bool>());

  // The double click verifies nothing new: no second event, even after
  // sweeps have had their chance.
  ASSERT_EQ(Activate(stack(), token).status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return stack().Metric("webhook_queue_depth") == 0; }));
  EXPECT_EQ(EventRow(stack(), email), std::vector<std::string>{"sent 1"});
  EXPECT_EQ(EventsFor(receiver(), email).size(), 1u);
}

TEST_F(WebhookTest, AReceiverAnswering500TwiceGetsThreeAttempts) {
  receiver().Control(R"({"fail": 2})");
  const std::string email = "event-500@example.com";
  ASSERT_EQ(Verify(email).status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return EventsFor(receiver(), email).size() == 1; }));
  const std::vector<nlohmann::json> attempts =
      AttemptsFor(receiver(), EventsFor(receiver(), email)[0]["id"]);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0]["status"], 500);
  EXPECT_EQ(attempts[1]["status"], 500);
  EXPECT_EQ(attempts[2]["status"], 204);
  for (const nlohmann::json& a : attempts) EXPECT_TRUE(a["valid"].get<bool>());
  ASSERT_TRUE(WaitFor([&] {
    return EventRow(stack(), email) == std::vector<std::string>{"sent 3"};
  }));
}

TEST_F(WebhookTest, AnEventWaitsForAReceiverThatIsDownAndIsDeliveredOnceBack) {
  receiver().Stop();
  const std::string email = "event-down@example.com";
  ASSERT_EQ(Verify(email).status, 200);
  // Tried, failed, queued again; counted as waiting.
  ASSERT_TRUE(WaitFor([&] {
    std::vector<std::string> row = EventRow(stack(), email);
    return row.size() == 1 && row[0] != "queued 0" &&
           row[0].rfind("queued", 0) == 0;
  }));
  EXPECT_GE(stack().Metric("webhook_queue_depth"), 1);
  receiver().Start();
  ASSERT_TRUE(
      WaitFor([&] { return EventsFor(receiver(), email).size() == 1; }));
  ASSERT_TRUE(WaitFor(
      [&] { return EventRow(stack(), email).at(0).rfind("sent", 0) == 0; }));
  EXPECT_EQ(EventsFor(receiver(), email).size(), 1u);
}

TEST_F(WebhookTest, ASlowReceiverDelaysNoAnswerAndIsTriedAgain) {
  // The first attempt gets its answer after 11 s: past the 10 s the
  // service waits, so it counts as failed and is tried again.
  receiver().Control(R"({"delay_s": 11, "delay_count": 1})");
  const std::string email = "event-slow@example.com";
  const std::string token = RegisterForToken(stack(), sink(), email);
  ASSERT_FALSE(token.empty());
  HttpResponse r = Activate(stack(), token);
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(r.seconds, 5.0);  // not held by the 11 s receiver
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<std::string> row = EventRow(stack(), email);
        return row.size() == 1 && row[0] == "sent 2";
      },
      std::chrono::seconds(30)));
  // It saw both attempts (the late one, then the retry), both signed.
  std::vector<nlohmann::json> events;
  ASSERT_TRUE(WaitFor([&] {
    events = EventsFor(receiver(), email);
    return events.size() == 1 &&
           AttemptsFor(receiver(), events[0]["id"]).size() == 2;
  }));
  for (const nlohmann::json& a : AttemptsFor(receiver(), events[0]["id"]))
    EXPECT_TRUE(a["valid"].get<bool>());
}

TEST_F(WebhookTest, AForgedEventFailsTheReceiversCheck) {
  // The receiver's own check, from outside: a body signed with another key
  // is refused, so the accepted ones above prove the service's signature.
  const std::string body =
      R"({"id":"evt_forged","type":"account.verified","created":1,"data":{}})";
  const std::string ts = std::to_string(std::time(nullptr));
  HttpResponse r = Http("POST", receiver().url(), body,
                        {"Content-Type: application/json",
                         "X-Event-Id: evt_forged", "X-Event-Timestamp: " + ts,
                         "X-Event-Signature: v1=" + std::string(64, '0')});
  EXPECT_EQ(r.status, 401);
}

// The operator's view: regctl lists events beside mail and sends one again
// at once ("retry") instead of after its next delay.
TEST(EventOperator, RegctlShowsAnEventBesideMailAndRetriesIt) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  const int port = FreePort();
  Stack stack(
      {{"SWEEP_S", "1"},
       {"RETRY_S", "600"},
       {"WEBHOOK_URL", "http://127.0.0.1:" + std::to_string(port) + "/events"}},
      &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  Receiver receiver(dir, stack.data_dir() + "/webhook.secret", port);
  const std::string email = "event-regctl@example.com";
  const std::string token = RegisterForToken(stack, sink, email);
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(Activate(stack, token).status, 200);
  // No receiver yet: the first attempt fails, the next is 10 minutes away.
  ASSERT_TRUE(WaitFor([&] {
    return EventRow(stack, email) == std::vector<std::string>{"queued 1"};
  }));
  const std::string id =
      stack
          .Query(
              "SELECT o.id FROM outbox o JOIN users u ON u.id = o.user_id "
              "WHERE o.channel = 'webhook' AND u.email = '" +
              email + "'")
          .at(0);
  const std::string jobs = Regctl(stack, "jobs");
  EXPECT_THAT(jobs, ::testing::HasSubstr("webhook"));
  EXPECT_THAT(jobs, ::testing::HasSubstr("account.verified"));
  EXPECT_THAT(jobs, ::testing::HasSubstr("verify"));  // the mail beside it
  receiver.Start();
  EXPECT_THAT(Regctl(stack, "retry " + id),
              ::testing::Not(::testing::HasSubstr("error")));
  ASSERT_TRUE(WaitFor([&] { return EventsFor(receiver, email).size() == 1; }));
  EXPECT_THAT(Regctl(stack, "show " + id), ::testing::HasSubstr("requeued"));
  receiver.Stop();
  EXPECT_TRUE(stack.Stop());
}

// The worker is killed after the activation's answer, before its post of
// the event could go anywhere (a dead INTERNAL_URL): the sweep of the
// worker started in its place delivers the event.
TEST(KilledWorkerEvent, TheSweepDeliversTheEventOfAWorkerKilledAfterItsAnswer) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  const int port = FreePort();
  const std::string dead =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/internal/mail";
  Stack stack(
      {{"WORKERS", "1"},
       {"SWEEP_S", "1"},
       {"INTERNAL_URL", dead},
       {"WEBHOOK_URL", "http://127.0.0.1:" + std::to_string(port) + "/events"}},
      &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  Receiver receiver(dir, stack.data_dir() + "/webhook.secret", port);
  receiver.Start();
  const std::string email = "event-killed@example.com";
  const std::string token = RegisterForToken(stack, sink, email);
  ASSERT_FALSE(token.empty());
  const pid_t worker = stack.WorkerPids().at(0);
  const std::string log = stack.data_dir() + "/registrar.log";
  const size_t posts_failed_before = [&] {
    size_t n = 0;
    const std::string text = ReadFile(log);
    for (size_t at = text.find("a sweep will send it"); at != std::string::npos;
         at = text.find("a sweep will send it", at + 1))
      n++;
    return n;
  }();
  ASSERT_EQ(Activate(stack, token).status, 200);
  // The worker lived past its answer and tried the event's post.
  ASSERT_TRUE(WaitFor([&] {
    size_t n = 0;
    const std::string text = ReadFile(log);
    for (size_t at = text.find("a sweep will send it"); at != std::string::npos;
         at = text.find("a sweep will send it", at + 1))
      n++;
    return n > posts_failed_before;
  }));
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return EventsFor(receiver, email).size() == 1; }));
  EXPECT_EQ(stack.Query("SELECT e.detail FROM outbox_events e JOIN outbox o ON "
                        "o.id = e.job_id WHERE o.channel = 'webhook' AND "
                        "e.event = 'claimed'"),
            std::vector<std::string>{"sweep"});
  receiver.Stop();
  EXPECT_TRUE(stack.Stop());
}

}  // namespace
}  // namespace reg::testing
