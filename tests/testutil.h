// Test helpers shared by unit and integration tests.
#ifndef TESTS_TESTUTIL_H_
#define TESTS_TESTUTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "status.h"

namespace reg {

MATCHER(IsOK, "") { return arg.ok(); }

inline Status StatusOf(const Status& s) { return s; }
template <class T>
Status StatusOf(const Result<T>& r) { return r.status(); }

// For a Status or a Result<T>; prints the Status when it fails.
#define ASSERT_OK(expr) \
  ASSERT_THAT(::reg::StatusOf(expr), ::reg::IsOK()) << ::reg::StatusOf(expr).ToString()
#define EXPECT_OK(expr) \
  EXPECT_THAT(::reg::StatusOf(expr), ::reg::IsOK()) << ::reg::StatusOf(expr).ToString()

// Polls "pred" every 20 ms until it holds or "deadline" has passed; returns
// its last value. For waiting on a condition, never as an assertion of time.
inline bool WaitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace reg

#endif  // TESTS_TESTUTIL_H_
