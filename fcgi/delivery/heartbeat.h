// Heartbeat: the claims this process holds while their sends run, renewed
// every third of a lease, so a claim outlives a send however long the SMTP
// server or the webhook receiver takes, and runs out within one lease of
// the process dying.
#ifndef FCGI_DELIVERY_HEARTBEAT_H_
#define FCGI_DELIVERY_HEARTBEAT_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>

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
  ThreadGroup threads_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_HEARTBEAT_H_
