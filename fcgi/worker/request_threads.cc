#include "worker/request_threads.h"

#include <fcgiapp.h>
#include <sys/socket.h>

#include <string>
#include <utility>
#include <variant>

#include "base/exact_sleep.h"
#include "base/log.h"
#include "base/thread_group.h"
#include "http/request.h"
#include "worker/signals.h"

namespace reg {
namespace {

// Owns one FCGX_Request. It has no listening socket (-1): it reads the
// connections FcgiConnections hands it.
class FcgiRequest {
 public:
  FcgiRequest() { FCGX_InitRequest(&r_, -1, 0); }
  ~FcgiRequest() { FCGX_Free(&r_, 1); }
  FcgiRequest(const FcgiRequest&) = delete;
  FcgiRequest& operator=(const FcgiRequest&) = delete;
  FCGX_Request* get() { return &r_; }

 private:
  FCGX_Request r_;
};

}  // namespace

Status CheckListenSocket() {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) == 0) return Status();
  return Status::InvalidArgument(
      "fd 0 is not a socket; start it with spawn-fcgi or registrar.socket "
      "(see README.md)");
}

RequestThreads::RequestThreads(int count, FcgiConnections& connections,
                               const Services& services, const Router& router,
                               Storage& storage, AfterAnswer after)
    : connections_(connections),
      services_(services),
      router_(router),
      storage_(storage),
      after_(std::move(after)) {
  for (int i = 0; i < count; i++) {
    auto t = std::make_unique<Thread>();
    t->thread = std::thread(&RequestThreads::Loop, this, t.get());
    threads_.push_back(std::move(t));
  }
}

RequestThreads::~RequestThreads() {
  Stop(std::chrono::milliseconds(0));
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.detach();
  }
}

void RequestThreads::Loop(Thread* self) {
  NameThisThread("reg-request");
  Result<std::unique_ptr<Store>> store = storage_.NewStore();
  Result<std::unique_ptr<Outbox>> outbox = storage_.NewOutbox();
  if (!store.ok() || !outbox.ok()) {
    Log("request thread: %s",
        (store.ok() ? outbox.status() : store.status()).ToString().c_str());
    self->done = true;
    return;
  }
  Context context{services_, *store.value(), *outbox.value()};
  FcgiRequest fcgx;
  FCGX_Request* const r = fcgx.get();
  while (!stopping_) {
    const int fd = connections_.Next();
    if (fd < 0) break;  // stopping
    // FCGX_Accept_r reads a request from r->ipcFd when it is set; its
    // first step, finishing the last request, must leave this one open.
    r->ipcFd = fd;
    r->keepConnection = 1;
    // Not 0: nginx closed a kept connection, or sent no request on a new
    // one; libfcgi closed it (and found no socket of its own to accept on).
    if (FCGX_Accept_r(r) != 0) continue;
    const auto arrived = std::chrono::steady_clock::now();
    Request request = ReadFcgiRequest(r);
    request.arrived = arrived;
    Reply reply = router_.Dispatch(request, context);
    const std::string bytes = reply.response.Serialize();
    // A timing floor ends here, right before the bytes: nothing runs
    // between the wake-up and them that differs by the request's path.
    if (reply.not_before != std::chrono::steady_clock::time_point()) {
      SleepUntilExactly(reply.not_before);
    }
    FCGX_PutStr(bytes.data(), static_cast<int>(bytes.size()), r->out);
    // nginx completes the answer now; what follows never delays it.
    FCGX_Finish_r(r);
    if (r->ipcFd >= 0) {  // nginx keeps it (FCGI_KEEP_CONN) for another
      const int kept = r->ipcFd;
      r->ipcFd = -1;  // another thread may take it from here on
      connections_.Keep(kept);
    }
    if (!std::holds_alternative<std::monostate>(reply.after)) {
      after_(std::move(reply.after));
    }
  }
  self->done = true;
}

bool RequestThreads::Stop(std::chrono::milliseconds deadline) {
  stopping_ = true;
  connections_.Stop();
  FCGX_ShutdownPending();
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    bool all_done = true;
    for (auto& t : threads_) {
      if (t->thread.joinable() && !t->done) {
        all_done = false;
        Wake(t->thread);
      }
    }
    if (all_done || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool clean = true;
  for (auto& t : threads_) {
    if (!t->thread.joinable()) continue;
    if (t->done) {
      t->thread.join();
    } else {
      clean = false;
    }
  }
  return clean;
}

}  // namespace reg
