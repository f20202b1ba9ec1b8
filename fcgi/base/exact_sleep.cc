#include "base/exact_sleep.h"

#include <sys/prctl.h>
#include <time.h>

#include <cerrno>

namespace reg {

void SleepUntilExactly(std::chrono::steady_clock::time_point deadline) {
  using std::chrono::nanoseconds;
  const auto since_boot =
      std::chrono::duration_cast<nanoseconds>(deadline.time_since_epoch());
  timespec at;
  at.tv_sec = static_cast<time_t>(since_boot.count() / 1'000'000'000);
  at.tv_nsec = static_cast<long>(since_boot.count() % 1'000'000'000);
  if (at.tv_sec < 0 || at.tv_nsec < 0) return;  // long past
  // PR_GET_TIMERSLACK answers the slack itself (never an error here).
  const int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // 0 would mean "the default"
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) ==
         EINTR) {
  }
  if (slack > 0) {
    prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack), 0, 0, 0);
  }
}

}  // namespace reg
