// ThreadGroup: threads that can be waited for with a deadline.
#ifndef FCGI_BASE_THREAD_GROUP_H_
#define FCGI_BASE_THREAD_GROUP_H_

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace reg {

// Names the calling thread, as ps -L, top -H and /proc/PID/task/TID/comm
// show it (Linux keeps 15 bytes).
inline void NameThisThread(const char* name) {
  (void)pthread_setname_np(pthread_self(), name);
}

// Ends a thread that waits on "cv" for work or "stop": sets "stop" under
// "mu", wakes it and joins it. Does nothing if "thread" does not run.
inline void StopAndJoin(std::mutex& mu, bool& stop, std::condition_variable& cv,
                        std::thread& thread) {
  if (!thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  thread.join();
}

// Thread-safe. The owner tells its threads to stop (its own flag), then
// calls Join.
class ThreadGroup {
 public:
  ThreadGroup() = default;
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  // Threads still running (Join timed out) are detached: they hold
  // references to their owner, so this happens only at process exit.
  ~ThreadGroup() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.detach();
    }
  }

  // Starts a thread running "fn".
  void Spawn(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    running_++;
    threads_.emplace_back([this, fn = std::move(fn)] {
      fn();
      std::lock_guard<std::mutex> done(mu_);
      running_--;
      cv_.notify_all();
    });
  }

  // Waits up to "deadline" for every thread to return and joins them;
  // false if some are still running.
  bool Join(std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, deadline, [this] { return running_ == 0; })) {
      return false;
    }
    std::vector<std::thread> threads = std::move(threads_);
    threads_.clear();
    lock.unlock();
    for (std::thread& t : threads) t.join();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace reg

#endif  // FCGI_BASE_THREAD_GROUP_H_
