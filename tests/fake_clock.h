// FakeClock: a Clock tests set by hand (unit tests and fuzz targets).
#ifndef TESTS_FAKE_CLOCK_H_
#define TESTS_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "base/clock.h"

namespace reg {

// A clock tests set by hand. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(std::int64_t now_ms = 1'700'000'000'000)
      : now_ms_(now_ms) {}
  std::int64_t NowMs() const override { return now_ms_; }
  void AdvanceMs(std::int64_t ms) { now_ms_ += ms; }
  void SetMs(std::int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace reg

#endif  // TESTS_FAKE_CLOCK_H_
