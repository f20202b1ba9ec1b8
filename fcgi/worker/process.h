// The process-wide part of a worker: what is set up once, before its
// first thread, and how the process ends after a stop.
#ifndef FCGI_WORKER_PROCESS_H_
#define FCGI_WORKER_PROCESS_H_

#include "base/status.h"
#include "worker/last_one_out.h"

namespace reg {

// libcurl's global init (not thread-safe), SetUpSignals(), then libfcgi's
// FCGX_Init(), in that order. Internal naming the step that failed.
// REQUIRES: no other thread yet; called once.
Status SetUpProcess();

// How a stopped worker ends. "clean": every thread was joined; libcurl's
// global state is cleaned up, "last_one_out" leaves, "stopped" is logged
// and 0 returned (main's exit code). Otherwise a request or a send is
// still in flight on a thread using what exit() would destroy; its claim
// is no longer renewed and runs out after the lease, then a sweep sends
// the job again, so leaving at once loses nothing: "last_one_out" leaves
// and the process ends with _Exit(0), never returning.
int EndProcess(bool clean, LastOneOut& last_one_out);

}  // namespace reg

#endif  // FCGI_WORKER_PROCESS_H_
