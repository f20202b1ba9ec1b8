// 2,000 registrations at 32 concurrent connections against two worker
// processes: every one answered, every mail delivered exactly once.
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

constexpr int kLoadRegistrations = 2000;
constexpr int kConnections = 32;

TEST(Load, TwoThousandRegistrationsGiveTwoThousandDistinctMails) {
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  Stack stack({{"WORKERS", "2"}, {"THREADS", "8"}, {"SWEEP_S", "2"}}, &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  const std::string url = stack.Url("/register");
  std::atomic<int> next{0}, accepted{0}, other{0};
  const auto start = std::chrono::steady_clock::now();
  const auto give_up = start + std::chrono::seconds(120);
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; c++) {
    clients.emplace_back([&] {
      CURL* h = curl_easy_init();  // one kept connection per client
      curl_slist* headers =
          curl_slist_append(nullptr, "Content-Type: application/json");
      curl_easy_setopt(h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Discard);
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
      for (int i; (i = next++) < kLoadRegistrations &&
                  std::chrono::steady_clock::now() < give_up;) {
        char body[128];
        std::snprintf(
            body, sizeof body,
            R"({"email":"load-%d@example.com","password":"a good password"})",
            i);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        long code = 0;
        if (curl_easy_perform(h) == CURLE_OK)
          curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        (code == 202 ? accepted : other)++;
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(h);
    });
  }
  for (auto& t : clients) t.join();
  const double answer_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_EQ(accepted.load(), kLoadRegistrations)
      << other.load() << " other answers";
  ASSERT_TRUE(WaitFor(
      [&] {
        return sink.MailCount() >= kLoadRegistrations &&
               stack.Metric("mail_queue_depth") == 0;
      },
      std::chrono::seconds(120)));
  const double mail_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::set<std::string> ids, rcpts;
  for (const std::string& m : sink.Mails()) {
    ids.insert(MailHeader(m, "Message-ID"));
    rcpts.insert(MailHeader(m, "To"));
  }
  EXPECT_EQ(sink.MailCount(), kLoadRegistrations);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kLoadRegistrations));
  EXPECT_EQ(rcpts.size(), static_cast<size_t>(kLoadRegistrations));
  EXPECT_EQ(stack.Metric("mail_sent_total"), kLoadRegistrations);
  EXPECT_EQ(stack.Metric("registrations_total"), kLoadRegistrations);
  std::printf(
      "load: %d registrations answered in %.2f s (%.0f/s), all mails in the "
      "sink after %.2f s\n",
      kLoadRegistrations, answer_s, kLoadRegistrations / answer_s, mail_s);
  EXPECT_TRUE(stack.Stop());
}

}  // namespace
}  // namespace reg::testing
