// 2,000 registrations (LoadCount(): REGISTRAR_LOAD sets another count) at
// 32 concurrent connections against the default shape (one worker process
// of 16 threads): every one answered, every mail delivered exactly once.
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

constexpr int kConnections = 32;

TEST(Load, EveryRegistrationUnderLoadGivesOneDistinctMail) {
  const int count = LoadCount();
  const std::string dir = MakeTempDir();
  Sink sink(dir);
  // HASH_WAIT_MS: a slow machine (or a sanitizer) must not turn the hash
  // gate's load shedding (503 after 2 s without a slot) into a failure
  // here; what is tested is that every accepted registration mails once.
  Stack stack({{"WORKERS", "1"},
               {"THREADS", "16"},
               {"SWEEP_S", "2"},
               {"HASH_WAIT_MS", "30000"}},
              &sink);
  ASSERT_TRUE(stack.running()) << stack.Output();
  const std::string url = stack.Url("/register");
  std::atomic<int> next{0}, accepted{0}, other{0};
  std::mutex others_mu;
  std::map<std::string, int> others;  // "HTTP 503", "curl: …": how many
  const auto start = std::chrono::steady_clock::now();
  const auto give_up = start + std::chrono::seconds(300);  // a safety cap
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
      for (int i; (i = next++) < count &&
                  std::chrono::steady_clock::now() < give_up;) {
        char body[128];
        std::snprintf(
            body, sizeof body,
            R"({"email":"load-%d@example.com","password":"a good password"})",
            i);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        long code = 0;
        const CURLcode rc = curl_easy_perform(h);
        if (rc == CURLE_OK)
          curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code == 202) {
          accepted++;
          continue;
        }
        other++;
        std::lock_guard<std::mutex> lock(others_mu);
        others[rc == CURLE_OK ? "HTTP " + std::to_string(code)
                              : std::string("curl: ") + curl_easy_strerror(rc)]++;
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(h);
    });
  }
  for (auto& t : clients) t.join();
  const double answer_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::string other_answers;
  for (const auto& [what, n] : others)
    other_answers += " " + std::to_string(n) + " × " + what + ";";
  ASSERT_EQ(accepted.load(), count)
      << other.load() << " other answers:" << other_answers;
  ASSERT_TRUE(WaitWhileProgressing(
      [&] {
        return sink.MailCount() >= count &&
               stack.Metric("mail_queue_depth") == 0;
      },
      [&] { return sink.MailCount(); }))
      << sink.MailCount() << " of " << count
      << " mails, then none for a minute";
  const double mail_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::set<std::string> ids, rcpts;
  for (const std::string& m : sink.Mails()) {
    ids.insert(MailHeader(m, "Message-ID"));
    rcpts.insert(MailHeader(m, "To"));
  }
  EXPECT_EQ(sink.MailCount(), count);
  EXPECT_EQ(ids.size(), static_cast<size_t>(count));
  EXPECT_EQ(rcpts.size(), static_cast<size_t>(count));
  EXPECT_EQ(stack.Metric("mail_sent_total"), count);
  EXPECT_EQ(stack.Metric("registrations_total"), count);
  std::printf(
      "load: %d registrations answered in %.2f s (%.0f/s), all mails in the "
      "sink after %.2f s\n",
      count, answer_s, count / answer_s, mail_s);
  EXPECT_TRUE(stack.Stop());
}

}  // namespace
}  // namespace reg::testing
