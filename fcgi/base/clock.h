// Time comes in through this interface so tests can move it (FakeClock
// in tests/fake_clock.h).
#ifndef FCGI_BASE_CLOCK_H_
#define FCGI_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace reg {

// Wall-clock time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual std::int64_t NowMs() const = 0;
  // Whole seconds since the Unix epoch.
  std::int64_t NowS() const { return NowMs() / 1000; }
};

class SystemClock : public Clock {
 public:
  std::int64_t NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace reg

#endif  // FCGI_BASE_CLOCK_H_
