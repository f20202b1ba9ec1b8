// HashGate: caps the password hashes running at once in one process, so a
// flood of registrations cannot take all memory (scrypt at the default
// cost holds 128 MiB while it runs).
#ifndef FCGI_BASE_HASH_GATE_H_
#define FCGI_BASE_HASH_GATE_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace reg {

// Thread-safe counting semaphore with a timed acquire.
class HashGate {
 public:
  explicit HashGate(int slots) : free_(slots) {}

  // Takes a slot, waiting at most "wait". False if none came free.
  bool Acquire(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, wait, [this] { return free_ > 0; })) return false;
    free_--;
    return true;
  }
  // REQUIRES: a slot taken by Acquire.
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_++;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

// Holds one slot for its lifetime when held().
class HashSlot {
 public:
  HashSlot(HashGate* gate, std::chrono::milliseconds wait)
      : gate_(gate), held_(gate->Acquire(wait)) {}
  ~HashSlot() {
    if (held_) gate_->Release();
  }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
  bool held() const { return held_; }

 private:
  HashGate* gate_;
  bool held_;
};

}  // namespace reg

#endif  // FCGI_BASE_HASH_GATE_H_
