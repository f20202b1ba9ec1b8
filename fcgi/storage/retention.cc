#include "storage/retention.h"

#include <algorithm>

#include "storage/bounces.h"
#include "storage/mail_cap.h"

namespace reg {

std::int64_t NoAccountMailsBefore(const RetentionPolicy& policy,
                                  std::int64_t now_ms) {
  return now_ms -
         std::max({policy.unverified_ms, kMailCapDayMs, kNotificationMaxAgeMs});
}

}  // namespace reg
