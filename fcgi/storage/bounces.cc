#include "storage/bounces.h"

namespace reg {

bool SuppressingStatus(std::string_view status) {
  return status.rfind("5.1.", 0) == 0 || status == "5.2.1";
}

bool FailureSuppresses(std::string_view status, std::int64_t created_ms,
                       std::int64_t cleared_ms, std::int64_t now_ms,
                       std::int64_t suppress_ms) {
  return suppress_ms > 0 && SuppressingStatus(status) &&
         now_ms - created_ms <= kNotificationMaxAgeMs &&
         created_ms >= cleared_ms;
}

std::string NotificationDetail(const Notification& n) {
  std::string detail = n.status;
  if (!n.diagnostic.empty()) {
    if (!detail.empty()) detail += " ";
    detail += n.diagnostic;
  }
  return detail;
}

}  // namespace reg
