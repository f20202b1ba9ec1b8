// A claim outlives its send (contract §5, issue 10 item 3): a server that
// takes longer than a lease to answer the end of DATA still gets every mail
// once, and a worker killed in the middle of a send has its job sent again
// by another worker once the lease runs out. Times are scaled down:
// LEASE_S=2 (the heartbeat renews every 0.67 s) against a 3 s reply.
#include <signal.h>

#include <chrono>
#include <map>
#include <string>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

std::map<std::string, int> MessageIds(const Sink& sink) {
  std::map<std::string, int> ids;
  for (const std::string& m : sink.Mails()) ids[MailHeader(m, "Message-ID")]++;
  return ids;
}

TEST(Lease, AServerSlowerThanALeaseGetsEveryMailOnce) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  sink.Control(R"({"data_delay_s": 3})");
  Stack stack({{"WORKERS", "2"},
               {"LEASE_S", "2"},
               {"SWEEP_S", "1"},
               {"RETRY_S", "1"},
               {"SMTP_TIMEOUT_S", "30"}},
              &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  constexpr int kMails = 6;
  for (int i = 0; i < kMails; i++) {
    HttpResponse r = stack.Register(
        "slow-" + std::to_string(i) + "@example.com", "a good password");
    ASSERT_EQ(r.status, 202) << r.error << r.body;
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        return stack.QueryOne(
                   "SELECT count(*) FROM outbox WHERE state = 'sent'") ==
               std::to_string(kMails);
      },
      std::chrono::seconds(60)))
      << stack.QueryOne("SELECT count(*) FROM outbox WHERE state <> 'sent'")
      << " not sent";
  // A lease and a few sweeps more: a lost claim would be sent again.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::map<std::string, int> ids = MessageIds(sink);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kMails));
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  // Each job was claimed once and sent at its first attempt.
  EXPECT_EQ(stack.QueryOne("SELECT count(*) FROM outbox WHERE attempts != 1"),
            "0");
  EXPECT_EQ(stack.QueryOne(
                "SELECT count(*) FROM outbox_events WHERE event = 'claimed'"),
            std::to_string(kMails));
  EXPECT_TRUE(stack.Stop());
}

TEST(Lease, AWorkerKilledMidSendHasItsJobSentByAnotherAfterTheLease) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  sink.Control(R"({"hold_data": true})");
  Stack stack(
      {{"WORKERS", "2"}, {"LEASE_S", "2"}, {"SWEEP_S", "1"}, {"RETRY_S", "1"}},
      &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  const std::string to = "killed-mid-send@example.com";
  ASSERT_EQ(stack.Register(to, "a good password").status, 202);
  const long long id = stack.JobIdFor(to);
  ASSERT_GT(id, 0);
  // The mail is at the server's end of DATA, its reply held.
  ASSERT_TRUE(WaitFor([&] { return sink.HeldCount() == 1; }));
  const std::string claimant = stack.QueryOne(
      "SELECT claimed_by FROM outbox WHERE id = " + std::to_string(id));
  const pid_t sender = static_cast<pid_t>(std::stol(claimant));
  const std::vector<pid_t> workers = stack.WorkerPids();
  ASSERT_NE(std::find(workers.begin(), workers.end(), sender), workers.end())
      << claimant;
  // Past a lease: the heartbeat keeps the claim.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(stack.QueryOne("SELECT attempts FROM outbox WHERE id = " +
                           std::to_string(id)),
            "1");
  ASSERT_EQ(kill(sender, SIGKILL), 0) << stack.Output();
  const auto killed = std::chrono::steady_clock::now();
  // The held session gets a 451 if it still runs: only a new attempt can
  // deliver.
  sink.Control(R"({"data_replies": ["451 4.3.0 sender gone"]})");
  ASSERT_TRUE(WaitFor([&] {
    return stack.QueryOne("SELECT state FROM outbox WHERE id = " +
                          std::to_string(id)) == "sent";
  }));
  const double after_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed)
          .count();
  EXPECT_EQ(MessageIds(sink).size(), 1u);
  EXPECT_EQ(sink.MailCount(), 1);
  // The second attempt, or a third if the 451 went to the second.
  EXPECT_THAT(stack.QueryOne("SELECT attempts FROM outbox WHERE id = " +
                             std::to_string(id)),
              ::testing::AnyOf("2", "3"));
  EXPECT_NE(stack.QueryOne("SELECT claimed_by FROM outbox WHERE id = " +
                           std::to_string(id)),
            claimant);
  // Within a lease (2 s) and a sweep (1 s) of the kill, with slack.
  EXPECT_LT(after_s, 10.0);
  EXPECT_TRUE(stack.Stop());
}

}  // namespace
}  // namespace reg::testing
