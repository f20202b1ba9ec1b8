// Sweeper: two threads per process that claim due jobs and send them
// (task.h says which jobs those are), at start-up and every SWEEP_S, and
// batch after batch while a backlog lasts. A job whose send starts more
// than half a lease after its batch was claimed has its claim checked and
// renewed first (Outbox::Renew), and is skipped if the claim was lost.
#ifndef FCGI_DELIVERY_SWEEPER_H_
#define FCGI_DELIVERY_SWEEPER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "base/clock.h"
#include "base/config.h"
#include "base/thread_group.h"
#include "crypto/seal.h"
#include "delivery/heartbeat.h"
#include "delivery/senders.h"
#include "storage/storage.h"

namespace reg {

// How many due jobs one sweep claims: as many as this process can send
// within half a lease at "send_ms" a job, between 1 and 16. The heartbeat
// renews them all anyway; a batch that fits in a lease leaves a slow
// server's backlog to the other processes' sweeps instead of holding it.
int SweepBatch(std::int64_t lease_ms, std::int64_t send_ms);

// Thread-safe. Each sweep thread has its own database connection and its
// own senders from "senders". Every reference must outlive the Sweeper.
class Sweeper {
 public:
  Sweeper(const Config& config, const Clock& clock, Storage& storage,
          const Sealer& sealer, Heartbeat& heartbeat, SenderFactory senders);
  ~Sweeper();  // Stop()s

  void Start();
  // Stops after the send in hand; claims of a batch not yet sent run out
  // after their lease. False if the thread was still busy at "deadline".
  bool Stop(std::chrono::milliseconds deadline);

 private:
  // One sweep loop; with "retention", it also applies RETAIN_UNVERIFIED_S
  // and RETAIN_MAIL_S after each sweep that drained the backlog (logged).
  void Loop(bool retention);
  void ApplyRetentionOnce(Store* store);
  bool stopping();

  const Config& config_;
  const Clock& clock_;
  Storage& storage_;
  const Sealer& sealer_;
  Heartbeat& heartbeat_;
  const SenderFactory senders_;

  std::mutex mu_;
  std::condition_variable cv_;  // stopping_ changed
  bool stopping_ = false;
  ThreadGroup threads_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_SWEEPER_H_
