// Heartbeat: the claims this process holds while their sends run, renewed
// every third of a lease, so a claim outlives a send however long the SMTP
// server or the webhook receiver takes, and runs out within one lease of
// the process dying.
#ifndef FCGI_DELIVERY_HEARTBEAT_H_
#define FCGI_DELIVERY_HEARTBEAT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "base/config.h"
#include "base/thread_group.h"
#include "storage/outbox.h"
#include "storage/storage.h"

namespace reg {

// Thread-safe.
class Heartbeat {
 public:
  Heartbeat(const Config& config, Storage& storage);
  ~Heartbeat();  // Stop()s

  // Starts the renewing thread.
  void Start();
  // Stops renewing; claims still held then run out after their lease.
  bool Stop(std::chrono::milliseconds deadline);

  // Renews "claim" from now on, until Release. A claim the renewal finds
  // lost (another process took it) is logged and dropped.
  void Hold(const ClaimRef& claim);
  void Release(const ClaimRef& claim);

  // A claim whose answer was lost (kUnavailable from Claim or ClaimDue: a
  // call that timed out may have committed unseen) would hold its job for
  // a whole lease. Every claim is taken under Claiming() and, if taken,
  // held (Hold) before that lock goes; after a Doubt, ReleaseLost (the
  // sweep's, before it claims) puts back in the queue this process's
  // claims that nothing here holds. So no claim is put back between its
  // commit and its Hold, and none is sent twice.
  std::shared_lock<std::shared_mutex> Claiming();
  void Doubt();
  // Does nothing without a Doubt since the last release that succeeded.
  void ReleaseLost(Outbox* outbox);

  // The renewal interval: a third of the lease, at least 100 ms.
  std::chrono::milliseconds interval() const { return interval_; }

  // How many claims are held (renewed on each beat) now.
  std::size_t held();

 private:
  void Loop();

  Storage& storage_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;    // stopping_ changed
  std::map<ClaimRef, int> held_;  // claim -> holders (normally 1)
  bool stopping_ = false;
  std::shared_mutex claiming_;  // shared: a claim; exclusive: ReleaseLost
  std::atomic<bool> doubt_{false};
  ThreadGroup threads_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_HEARTBEAT_H_
