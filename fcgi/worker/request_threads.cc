#include "worker/request_threads.h"

#include <fcgiapp.h>
#include <sys/socket.h>

#include <string>
#include <utility>
#include <variant>

#include "base/exact_sleep.h"
#include "base/log.h"
#include "http/request.h"
#include "worker/signals.h"

namespace reg {
namespace {

// Owns one FCGX_Request on the socket spawn-fcgi passed as fd 0.
class FcgiRequest {
 public:
  FcgiRequest() { FCGX_InitRequest(&r_, 0, 0); }
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

RequestThreads::RequestThreads(int count, const Services& services,
                               const Router& router, Storage& storage,
                               AfterAnswer after)
    : services_(services),
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
  while (!stopping_ && FCGX_Accept_r(fcgx.get()) == 0) {
    const auto arrived = std::chrono::steady_clock::now();
    Request request = ReadFcgiRequest(fcgx.get());
    request.arrived = arrived;
    Reply reply = router_.Dispatch(request, context);
    const std::string bytes = reply.response.Serialize();
    // A timing floor ends here, right before the bytes: nothing runs
    // between the wake-up and them that differs by the request's path.
    if (reply.not_before != std::chrono::steady_clock::time_point()) {
      SleepUntilExactly(reply.not_before);
    }
    FCGX_PutStr(bytes.data(), static_cast<int>(bytes.size()), fcgx.get()->out);
    // nginx completes the answer now; what follows never delays it.
    FCGX_Finish_r(fcgx.get());
    if (!std::holds_alternative<std::monostate>(reply.after)) {
      after_(std::move(reply.after));
    }
  }
  self->done = true;
}

bool RequestThreads::Stop(std::chrono::milliseconds deadline) {
  stopping_ = true;
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
