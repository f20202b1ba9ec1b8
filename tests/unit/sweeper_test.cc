#include "delivery/sweeper.h"

#include <gtest/gtest.h>

namespace reg {
namespace {

TEST(SweepBatch, ClaimsWhatHalfALeaseCoversBetweenOneAndSixteen) {
  EXPECT_EQ(SweepBatch(120'000, 5), 16);      // a fast server: the cap
  EXPECT_EQ(SweepBatch(120'000, 6'000), 10);  // 60 s / 6 s
  EXPECT_EQ(SweepBatch(120'000, 30'000), 2);
  EXPECT_EQ(SweepBatch(120'000, 600'000), 1);  // slower than a lease: one
  EXPECT_EQ(SweepBatch(3'000, 0), 16);
}

}  // namespace
}  // namespace reg
