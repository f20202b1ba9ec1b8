// Dispatcher: the small bounded pool that does a request's post-answer
// work (posting its job, sending a claimed job) after FCGX_Finish_r, and
// the sweeper that sends jobs nobody is sending.
#ifndef FCGI_DISPATCHER_H_
#define FCGI_DISPATCHER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "clock.h"
#include "config.h"
#include "job_signer.h"
#include "seal.h"
#include "task.h"

namespace reg {

// Thread-safe. Each pool thread has its own database connection, SMTP
// connection and HTTP connection.
class Dispatcher {
 public:
  Dispatcher(const Config& config, const Clock& clock, const JobSigner& signer,
             const Sealer& sealer);
  ~Dispatcher();  // Stop()s

  // Starts config.mail_threads pool threads and the sweeper.
  void Start();

  // Queues a task; never blocks. False when the queue is full (the task is
  // dropped: its job stays in the outbox and a sweep or an expiring lease
  // picks it up).
  bool Submit(Task task);

  // Stops taking tasks, wakes the threads and waits for them up to
  // "deadline"; returns false if some were still busy (an SMTP send in
  // flight: its job's lease frees it later).
  bool Stop(std::chrono::milliseconds deadline);

 private:
  void PoolLoop();
  void SweepLoop();

  const Config& config_;
  const Clock& clock_;
  const JobSigner& signer_;
  const Sealer& sealer_;

  std::mutex mu_;
  std::condition_variable cv_;        // tasks_ or stopping_ changed
  std::condition_variable sweep_cv_;  // stopping_ changed (sweeper only)
  std::condition_variable done_cv_;  // a thread finished
  std::deque<Task> tasks_;
  bool stopping_ = false;
  int running_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace reg

#endif  // FCGI_DISPATCHER_H_
