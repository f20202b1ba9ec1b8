// The test helpers themselves: a helper that lies hides every failure.
#include "testutil.h"

#include <gtest/gtest-spi.h>

namespace reg {
namespace {

int g_calls = 0;

// Fails once, then succeeds: a macro that evaluates twice reports the
// second (OK) Status, or none at all.
Status FailsTheFirstTime() {
  return ++g_calls == 1 ? Status::Unavailable("database is locked")
                        : Status::Ok();
}
Result<int> ResultFailsTheFirstTime() {
  if (++g_calls == 1) return Status::NotFound("no such job");
  return 7;
}

TEST(TestUtil, ExpectOkEvaluatesOnceAndReportsTheRealStatus) {
  g_calls = 0;
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(FailsTheFirstTime()), "database is locked");
  EXPECT_EQ(g_calls, 1);
}

TEST(TestUtil, AssertOkEvaluatesOnceAndReportsTheRealStatus) {
  g_calls = 0;
  EXPECT_FATAL_FAILURE(ASSERT_OK(ResultFailsTheFirstTime()), "no such job");
  EXPECT_EQ(g_calls, 1);
}

TEST(TestUtil, AssertOkTakesAStreamedMessage) {
  g_calls = 0;
  EXPECT_FATAL_FAILURE(ASSERT_OK(FailsTheFirstTime()) << "round " << 3,
                       "round 3");
}

TEST(TestUtil, OkPassesAndEvaluatesOnce) {
  g_calls = 1;
  EXPECT_OK(FailsTheFirstTime());
  ASSERT_OK(ResultFailsTheFirstTime());
  EXPECT_EQ(g_calls, 3);
}

}  // namespace
}  // namespace reg
