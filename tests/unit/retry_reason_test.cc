#include "base/retry_reason.h"

#include <gtest/gtest.h>

#include <string>

namespace reg {
namespace {

// The names are stored with each retry and are the labels of
// mail_retries_total{reason=...}: they must never change.
TEST(RetryReason, NamesAreTheStoredAndMetricLabels) {
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::kConnect)), "connect");
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::kTimeout)), "timeout");
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::k4xx)), "4xx");
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::kNetwork)), "network");
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::kTls)), "tls");
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::kStatus)), "status");
  EXPECT_EQ(std::string(RetryReasonName(RetryReason::kConfig)), "config");
}

}  // namespace
}  // namespace reg
