// RequestThreads: the threads that answer requests. Each takes the next
// connection with a request from FcgiConnections (spawn-fcgi's socket, fd
// 0, and the connections nginx keeps), reads it with its own
// FCGX_Request, answers through the Router with its own Store and Outbox,
// finishes the answer, gives a kept connection back, and only then hands
// the reply's post-answer work on.
#ifndef FCGI_WORKER_REQUEST_THREADS_H_
#define FCGI_WORKER_REQUEST_THREADS_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/status.h"
#include "delivery/task.h"
#include "handlers/context.h"
#include "handlers/router.h"
#include "storage/storage.h"
#include "worker/fcgi_connections.h"

namespace reg {

// spawn-fcgi or registrar.socket passes the listening socket as fd 0;
// InvalidArgument saying how to start a worker when fd 0 is not a socket.
Status CheckListenSocket();

// Takes the work a request leaves for after its answer (never
// std::monostate). Called on request threads; must not block.
using AfterAnswer = std::function<void(Task)>;

// Start and Stop from one thread (main).
class RequestThreads {
 public:
  // Starts "count" threads. A thread that cannot open its Store or Outbox
  // logs why and ends; the others serve on. REQUIRES: FCGX_Init() and
  // SetUpSignals() done; the arguments outlive this object.
  RequestThreads(int count, FcgiConnections& connections,
                 const Services& services, const Router& router,
                 Storage& storage, AfterAnswer after);
  // Stop()s, with a deadline of 0; a thread still busy is detached.
  ~RequestThreads();
  RequestThreads(const RequestThreads&) = delete;
  RequestThreads& operator=(const RequestThreads&) = delete;

  // Makes every thread leave its loop, a request in progress finished
  // first: FcgiConnections::Stop and FCGX_ShutdownPending, then SIGUSR1 to
  // each thread still in it
  // every 10 ms, up to "deadline". Joins the threads that left; false when
  // some had not (the caller then ends the process at once rather than
  // destroy what they use).
  bool Stop(std::chrono::milliseconds deadline);

 private:
  struct Thread {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void Loop(Thread* self);

  FcgiConnections& connections_;
  const Services& services_;
  const Router& router_;
  Storage& storage_;
  const AfterAnswer after_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Thread>> threads_;
};

}  // namespace reg

#endif  // FCGI_WORKER_REQUEST_THREADS_H_
