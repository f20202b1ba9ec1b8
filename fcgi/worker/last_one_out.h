// LastOneOut: with PID_FILE set (spawn-fcgi -P), the last worker of a
// spawn-fcgi group to stop removes the pid file and the FastCGI socket it
// listened on, so that a stopped service leaves nothing behind.
#ifndef FCGI_WORKER_LAST_ONE_OUT_H_
#define FCGI_WORKER_LAST_ONE_OUT_H_

#include <string>

namespace reg {

// Every worker holds a shared lock on the pid file's folder while it runs;
// the one that stops last gets the exclusive lock. Not thread-safe: one
// per process, in the main thread.
class LastOneOut {
 public:
  // Takes the shared lock; with "pid_file" empty, does nothing at all.
  explicit LastOneOut(const std::string& pid_file);
  ~LastOneOut();
  LastOneOut(const LastOneOut&) = delete;
  LastOneOut& operator=(const LastOneOut&) = delete;

  // Drops the shared lock; if no other worker holds one, removes the pid
  // file and fd 0's Unix socket, and logs so. Call once, when stopping.
  void Leave();

 private:
  std::string pid_file_;
  int fd_ = -1;
};

}  // namespace reg

#endif  // FCGI_WORKER_LAST_ONE_OUT_H_
