#include "base/exact_sleep.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "testutil.h"

namespace reg {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(SleepUntilExactly, WakesAtTheDeadlineNeverBefore) {
  for (int i = 0; i < 5; i++) {
    const auto deadline = steady_clock::now() + milliseconds(10);
    SleepUntilExactly(deadline);
    const auto woke = steady_clock::now();
    EXPECT_GE(woke, deadline);
    // Not the deadline's time again, nor since boot: it came once.
    EXPECT_LT(woke, deadline + milliseconds(500));
  }
}

TEST(SleepUntilExactly, APastDeadlineReturnsAtOnce) {
  const auto start = steady_clock::now();
  SleepUntilExactly(start - milliseconds(100));
  SleepUntilExactly(steady_clock::time_point());
  EXPECT_LT(steady_clock::now(), start + milliseconds(50));
}

TEST(SleepUntilExactly, SetsTheThreadsTimerSlackBack) {
  ASSERT_EQ(prctl(PR_SET_TIMERSLACK, 12345UL, 0, 0, 0), 0);
  SleepUntilExactly(steady_clock::now() + milliseconds(1));
  EXPECT_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 12345);
  ASSERT_EQ(prctl(PR_SET_TIMERSLACK, 0UL, 0, 0, 0), 0);  // the default
}

// While it sleeps, the thread's slack is 1 ns (read from another thread:
// /proc/TID/timerslack_ns, which needs CAP_SYS_NICE for another thread).
TEST(SleepUntilExactly, SleepsWithOneNanosecondOfSlack) {
  std::atomic<pid_t> tid{0};
  std::thread sleeper([&] {
    tid = gettid();
    SleepUntilExactly(steady_clock::now() + milliseconds(200));
  });
  ASSERT_TRUE(WaitFor([&] { return tid != 0; }));
  const std::string file = "/proc/" + std::to_string(tid) + "/timerslack_ns";
  std::string slack;
  const bool one = WaitFor(
      [&] {
        std::ifstream in(file);
        slack.clear();
        in >> slack;
        return slack == "1";
      },
      milliseconds(150));
  sleeper.join();
  if (slack.empty()) GTEST_SKIP() << file << " is not readable here";
  EXPECT_TRUE(one) << "slack " << slack;
}

}  // namespace
}  // namespace reg
