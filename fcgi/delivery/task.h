// Task: work a request leaves for after its answer is finished.
//
// A job, a mail or an event, reaches its channel (the SMTP server or the
// webhook receiver) in one of three ways, and only through a claim
// (Outbox::Claim or ClaimDue), so whichever way comes first sends it and
// the others find it taken:
//   post   after the answer that queued it, the JobPool posts PostJob to
//          /internal/mail (any process, through nginx); that handler reads
//          the job's state and leaves SendJob, and a pool thread claims the
//          job and sends it at once (job_pool.h);
//   sweep  every process's Sweeper claims due jobs in batches a lease
//          covers: jobs whose post never came (a worker killed after its
//          answer, nginx down, a full queue: due grace_ms after the
//          answer), jobs whose claim holder died (lease run out), and
//          retries (sweeper.h);
//   retry  a 4xx, timeout or lost connection (for an event, also any
//          answer but a 2xx) puts the job back as queued, due after a
//          doubling delay (Outbox::MarkRetry); the sweep takes it then.
// While a send runs, the process's Heartbeat renews its claim (heartbeat.h).
#ifndef FCGI_DELIVERY_TASK_H_
#define FCGI_DELIVERY_TASK_H_

#include <cstdint>
#include <variant>

namespace reg {

// Sign {"job_id": id} and post it to /internal/mail.
struct PostJob {
  std::int64_t id = 0;
};

// Claim job "id" and, if this claim took it, send it: a mail over SMTP,
// an event to WEBHOOK_URL.
struct SendJob {
  std::int64_t id = 0;
};

// std::monostate: nothing to do after the answer.
using Task = std::variant<std::monostate, PostJob, SendJob>;

}  // namespace reg

#endif  // FCGI_DELIVERY_TASK_H_
