#include "base/retry_reason.h"

namespace reg {

const char* RetryReasonName(RetryReason reason) {
  switch (reason) {
    case RetryReason::kConnect:
      return "connect";
    case RetryReason::kTimeout:
      return "timeout";
    case RetryReason::k4xx:
      return "4xx";
    case RetryReason::kNetwork:
      return "network";
    case RetryReason::kTls:
      return "tls";
    case RetryReason::kStatus:
      return "status";
    case RetryReason::kConfig:
      return "config";
  }
  return "network";  // not reached: every reason is named above
}

}  // namespace reg
