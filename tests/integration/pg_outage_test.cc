// Contract section 7 with PostgreSQL taken away under a running stack:
// 503 with Retry-After and a 503 /healthz while it is gone, nothing
// half-written, the workers serving again within 30 s of its return
// without a restart, and a mail the SMTP server accepted meanwhile
// recorded as sent then, never sent again. Always on PostgreSQL (the
// server tests/pg_server.h starts), whatever REGISTRAR_ENGINE says.
#include <chrono>
#include <string>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

// Starts the shared server again however a test ends.
struct RestartAtEnd {
  ~RestartAtEnd() { PgStart(); }
};

TEST(PostgresOutage, AnswersWait503AndAMailAcceptedMeanwhileIsRecordedOnce) {
  const std::string url = NewPgDatabase();
  ASSERT_FALSE(url.empty()) << "PostgreSQL did not start";
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  Stack stack({{"DATABASE_URL", url}, {"SWEEP_S", "1"}}, &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  ASSERT_EQ(stack.Register("before@example.com", "a good password").status,
            202);
  ASSERT_TRUE(
      WaitFor([&] { return MailsTo(sink, "before@example.com").size() == 1; }));

  // A send in flight: the sink holds the end of its DATA.
  sink.Control(R"({"hold_data": true})");
  const std::string in_flight = "in-flight@example.com";
  ASSERT_EQ(stack.Register(in_flight, "a good password").status, 202);
  const long long id = stack.JobIdFor(in_flight);
  ASSERT_GT(id, 0);
  ASSERT_TRUE(WaitFor([&] { return sink.HeldCount() == 1; }));

  RestartAtEnd restart;
  ASSERT_TRUE(PgStop());
  HttpResponse r = stack.Register("while-down@example.com", "a good password");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(r.Header("retry-after").empty());
  EXPECT_EQ(stack.Get("/healthz").status, 503);
  EXPECT_EQ(stack.Get("/activate?token=" + std::string(43, 'A')).status, 503);
  // The server accepts the held mail while the database is away.
  sink.Control("{}");
  ASSERT_TRUE(WaitFor([&] { return MailsTo(sink, in_flight).size() == 1; }));

  ASSERT_TRUE(PgStart());
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return stack.Get("/healthz").status == 200; },
                      std::chrono::seconds(30)));
  // Every request thread carries on (each retries its connection at most
  // once a second): soon a burst of 8 gets no 503.
  int accepted = 0, tried = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        int in_a_row = 0;
        for (int i = 0; i < 8; i++, tried++) {
          const std::string to = "after-" + std::to_string(tried) + "@x.org";
          const long status = stack.Register(to, "a good password").status;
          accepted += status == 202;
          in_a_row += status == 202;
        }
        return in_a_row == 8;
      },
      std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - back, std::chrono::seconds(30));
  ASSERT_TRUE(WaitFor([&] {
    return stack.Metric("mail_sent_total") == 2 + accepted &&
           stack.Metric("mail_queue_depth") == 0;
  }));

  // The accepted mail is recorded as sent by the claim that sent it.
  ASSERT_TRUE(WaitFor([&] {
    return stack.QueryOne("SELECT state FROM outbox WHERE id = " +
                          std::to_string(id)) == "sent";
  }));
  EXPECT_EQ(stack.QueryOne("SELECT attempts FROM outbox WHERE id = " +
                           std::to_string(id)),
            "1");
  EXPECT_EQ(MailsTo(sink, in_flight).size(), 1u);
  // Nothing of the registration answered 503 was written.
  EXPECT_EQ(stack.QueryOne("SELECT count(*) FROM users "
                           "WHERE email_norm = 'while-down@example.com'"),
            "0");
  EXPECT_EQ(sink.MailCount(), 2 + accepted);
  EXPECT_TRUE(stack.Stop());
}

}  // namespace
}  // namespace reg::testing
