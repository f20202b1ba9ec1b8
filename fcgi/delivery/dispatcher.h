// Dispatcher: the small bounded pool that does a request's post-answer
// work (posting its job, sending a claimed job) after FCGX_Finish_r, and
// the sweeper that sends jobs nobody is sending.
#ifndef FCGI_DELIVERY_DISPATCHER_H_
#define FCGI_DELIVERY_DISPATCHER_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "delivery/task.h"
#include "storage/db.h"

namespace reg {

// The outbox's lease and retry schedule from the settings.
OutboxPolicy OutboxPolicyFor(const Config& config);

// Thread-safe. Each pool thread has its own database connection, SMTP
// connection and HTTP connection.
class Dispatcher {
 public:
  Dispatcher(const Config& config, const Clock& clock, const JobSigner& signer,
             const Sealer& sealer);
  ~Dispatcher();  // Stop()s

  // Starts config.mail_threads pool threads and the sweeper.
  void Start();

  // Queues a task; never blocks. A post task is dropped (false) when
  // config.mail_queue of them wait: its job stays queued in the outbox and
  // a sweep sends it. A send task is always taken (false only while
  // stopping): its job is claimed, and dropping it would park the job until
  // its lease ran out. Send tasks come only from posts, so they are bounded
  // by the posts in flight.
  bool Submit(Task task);

  // Stops taking tasks, wakes the threads and waits for them up to
  // "deadline"; returns false if some were still busy (an SMTP send in
  // flight: its job's lease frees it later).
  bool Stop(std::chrono::milliseconds deadline);

 private:
  // A thread's own connection and outbox; outbox is null when the
  // database could not be opened (logged as "who").
  struct ThreadOutbox {
    std::unique_ptr<Database> db;
    std::unique_ptr<Outbox> outbox;
  };
  ThreadOutbox OpenOutbox(const char* who);
  void Exited();  // a thread leaves: running_--, wake Stop()
  void PoolLoop();
  void SweepLoop();
  // Deletes what is past RETAIN_UNVERIFIED_S / RETAIN_MAIL_S (logged).
  void ApplyRetentionOnce(Database* db);

  const Config& config_;
  const Clock& clock_;
  const JobSigner& signer_;
  const Sealer& sealer_;

  std::mutex mu_;
  std::condition_variable cv_;        // tasks_ or stopping_ changed
  std::condition_variable sweep_cv_;  // stopping_ changed (sweeper only)
  std::condition_variable done_cv_;   // a thread finished
  std::deque<Task> tasks_;
  int posts_queued_ = 0;
  bool stopping_ = false;
  int running_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_DISPATCHER_H_
