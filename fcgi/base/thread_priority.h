// Per-thread scheduling priority (Linux): the work after the answers runs
// below the request threads, so it takes the cores only when answers
// leave them free.
#ifndef FCGI_BASE_THREAD_PRIORITY_H_
#define FCGI_BASE_THREAD_PRIORITY_H_

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/status.h"

namespace reg {

// How far below the request threads (the process's own nice value, 0
// normally) the threads that post, claim, send and sweep after the answers
// run: under load the kernel gives a thread 10 nice levels below another
// about a tenth of its share of a core, and all of an idle one.
constexpr int kAfterAnswerNice = 10;

// Adds "by" to the calling thread's nice value, up to 19 (on Linux
// setpriority with a thread id acts on that thread alone; lowering a
// priority needs no privilege). Threads it starts later inherit it.
inline Status LowerThisThread(int by) {
  const id_t self = static_cast<id_t>(gettid());
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, self);
  if (now == -1 && errno != 0) {
    return Status::Internal(std::string("getpriority: ") +
                            std::strerror(errno));
  }
  if (setpriority(PRIO_PROCESS, self, std::min(now + by, 19)) != 0) {
    return Status::Internal(std::string("setpriority: ") +
                            std::strerror(errno));
  }
  return Status();
}

}  // namespace reg

#endif  // FCGI_BASE_THREAD_PRIORITY_H_
