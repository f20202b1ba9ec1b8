// JobPool: the small bounded pool that does a request's work after its
// answer (FCGX_Finish_r): posting its job, a mail or an event, to
// /internal/mail, and claiming and sending a posted job (task.h says how a
// job reaches its SMTP server or webhook receiver).
#ifndef FCGI_DELIVERY_JOB_POOL_H_
#define FCGI_DELIVERY_JOB_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "base/clock.h"
#include "base/config.h"
#include "base/thread_group.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "delivery/heartbeat.h"
#include "delivery/senders.h"
#include "delivery/task.h"
#include "storage/storage.h"

namespace reg {

// Thread-safe. Each pool thread has its own database and HTTP connection,
// and its own senders from "senders" (an SMTP and a webhook connection).
// Every reference must outlive the pool.
class JobPool {
 public:
  // "signer" signs the job posts (job.secret).
  JobPool(const Config& config, const Clock& clock, Storage& storage,
          const JobSigner& signer, const Sealer& sealer, Heartbeat& heartbeat,
          SenderFactory senders);
  ~JobPool();  // Stop()s

  // Starts config.mail_threads threads.
  void Start();

  // Queues a task; never blocks. False when config.mail_queue tasks are
  // waiting, or while stopping: no task holds a claim, so the job stays
  // queued in the outbox and a sweep sends it.
  bool Submit(Task task);

  // Stops taking tasks, wakes the threads and waits for them up to
  // "deadline"; false if some were still busy (a send in flight: its
  // claim runs out after the lease and a sweep sends the job again).
  bool Stop(std::chrono::milliseconds deadline);

 private:
  void Loop();

  const Config& config_;
  const Clock& clock_;
  Storage& storage_;
  const JobSigner& signer_;
  const Sealer& sealer_;
  Heartbeat& heartbeat_;
  const SenderFactory senders_;

  std::mutex mu_;
  std::condition_variable cv_;  // tasks_ or stopping_ changed
  std::deque<Task> tasks_;
  bool stopping_ = false;
  ThreadGroup threads_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_JOB_POOL_H_
