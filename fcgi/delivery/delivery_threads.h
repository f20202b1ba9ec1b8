// DeliveryThreads: the delivery side of one worker process, everything
// that sends jobs after the answers: the Heartbeat, the JobPool and the
// Sweeper (task.h says how a job reaches its channel through them), built
// together, started together and stopped in order.
#ifndef FCGI_DELIVERY_DELIVERY_THREADS_H_
#define FCGI_DELIVERY_DELIVERY_THREADS_H_

#include <chrono>

#include "base/clock.h"
#include "base/config.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "delivery/heartbeat.h"
#include "delivery/job_pool.h"
#include "delivery/senders.h"
#include "delivery/sweeper.h"
#include "delivery/task.h"
#include "storage/storage.h"

namespace reg {

// Start and Stop from one thread (main); HandOver from any. Every
// reference must outlive the object.
class DeliveryThreads {
 public:
  // "signer" signs the job posts; "sealer" opens the sealed jobs;
  // "senders" makes each thread's Mailer and WebhookSender.
  DeliveryThreads(const Config& config, const Clock& clock, Storage& storage,
                  const JobSigner& signer, const Sealer& sealer,
                  SenderFactory senders);
  ~DeliveryThreads() = default;  // each part Stop()s
  DeliveryThreads(const DeliveryThreads&) = delete;
  DeliveryThreads& operator=(const DeliveryThreads&) = delete;

  // Starts the heartbeat, the pool and the sweeper, in that order.
  void Start();

  // A request's post-answer work, to the pool; never blocks. What a full
  // pool refuses is left to the sweep (a refused post is logged).
  void HandOver(Task task);

  // Stops the pool within "deadline", then the sweeper and the heartbeat
  // within half of it each (400 ms in all by default: a worker's stop).
  // False when a send was still in flight: its claim is no longer renewed
  // and runs out after the lease, then a sweep sends the job again.
  bool Stop(std::chrono::milliseconds deadline = std::chrono::milliseconds(200));

 private:
  Heartbeat heartbeat_;
  JobPool pool_;
  Sweeper sweeper_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_DELIVERY_THREADS_H_
