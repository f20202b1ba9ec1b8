// Task: work a request leaves for after its answer is finished.
#ifndef FCGI_DELIVERY_TASK_H_
#define FCGI_DELIVERY_TASK_H_

#include <cstdint>

#include "storage/outbox.h"

namespace reg {

struct Task {
  enum class Kind {
    kNone,
    kPostJob,  // sign job_id and post it to /internal/mail
    kSendJob,  // send "job" (claimed by this process) over SMTP
  };
  Kind kind = Kind::kNone;
  std::int64_t job_id = 0;
  ClaimedJob job;

  static Task Post(std::int64_t id) { return {Kind::kPostJob, id, {}}; }
  static Task Send(ClaimedJob j) {
    std::int64_t id = j.id;
    return {Kind::kSendJob, id, std::move(j)};
  }
};

}  // namespace reg

#endif  // FCGI_DELIVERY_TASK_H_
