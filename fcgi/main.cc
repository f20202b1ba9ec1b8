// registrar: the FastCGI responder. spawn-fcgi hands it the listening
// socket as fd 0; it serves it with config.threads request threads and
// does post-answer work on the MailPool; the Sweeper and the Heartbeat
// run beside them.
#include <curl/curl.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "base/config.h"
#include "base/hash_gate.h"
#include "base/log.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "delivery/deliver.h"
#include "delivery/heartbeat.h"
#include "delivery/mail_pool.h"
#include "delivery/sweeper.h"
#include "handlers/handlers.h"
#include "http/form.h"
#include "http/password_policy.h"
#include "storage/storage.h"

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

struct Worker {
  std::thread thread;
  std::atomic<bool> done{false};
};

std::atomic<bool> g_stopping{false};

extern "C" void WakeUp(int) {}  // SIGUSR1: only interrupts a blocked call

void RequestLoop(const Services& services, const Router& router,
                 Storage* storage, MailPool* pool, Worker* self) {
  Result<std::unique_ptr<Store>> store = storage->NewStore();
  Result<std::unique_ptr<Outbox>> outbox = storage->NewOutbox();
  if (!store.ok() || !outbox.ok()) {
    Log("request thread: %s",
        (store.ok() ? outbox.status() : store.status()).ToString().c_str());
    self->done = true;
    return;
  }
  Context context{services, *store.value(), *outbox.value()};
  FcgiRequest fcgx;
  while (!g_stopping && FCGX_Accept_r(fcgx.get()) == 0) {
    Request request = ReadFcgiRequest(fcgx.get());
    Reply reply = router.Dispatch(request, context);
    const std::string bytes = reply.response.Serialize();
    FCGX_PutStr(bytes.data(), static_cast<int>(bytes.size()), fcgx.get()->out);
    // nginx completes the answer now; what follows never delays it.
    FCGX_Finish_r(fcgx.get());
    if (const PostJob* post = std::get_if<PostJob>(&reply.after)) {
      if (services.config->fault_kill_after_answer) raise(SIGKILL);
      if (!pool->Submit(*post)) {
        Log("job %lld: mail queue full, left to the sweep",
            static_cast<long long>(post->id));
      }
    } else if (!std::holds_alternative<std::monostate>(reply.after)) {
      (void)pool->Submit(std::move(reply.after));  // else the sweep sends it
    }
  }
  self->done = true;
}

int Run() {
  Result<Config> loaded =
      LoadConfig([](const char* name) { return std::getenv(name); });
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 2;
  }
  const Config config = std::move(loaded).value();
  int sock_type = 0;
  socklen_t len = sizeof sock_type;
  if (getsockopt(0, SOL_SOCKET, SO_TYPE, &sock_type, &len) != 0) {
    std::fprintf(stderr,
                 "registrar: fd 0 is not a socket; start it with spawn-fcgi "
                 "(see README.md)\n");
    return 2;
  }
  // libcurl's global init is not thread-safe: before any thread.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    Log("curl_global_init failed");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction wake = {};
  wake.sa_handler = WakeUp;  // no SA_RESTART: blocked calls return EINTR
  sigemptyset(&wake.sa_mask);
  sigaction(SIGUSR1, &wake, nullptr);
  // SIGTERM/SIGINT are blocked in every thread and taken by sigwait below
  // (libfcgi installs no handler that would stop a threaded process).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Result<std::string> secret = CreateSecretIfMissing(SecretPath(config));
  if (!secret.ok()) {
    Log("%s", secret.status().ToString().c_str());
    return 1;
  }
  Result<JobSigner> signer = JobSigner::Create(secret.value());
  Result<Sealer> sealer = Sealer::Create(secret.value());
  if (!signer.ok() || !sealer.ok()) {
    Log("crypto set-up failed: %s %s", signer.status().ToString().c_str(),
        sealer.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage = OpenStorage(config, clock);
  if (!storage.ok()) {
    Log("%s", storage.status().ToString().c_str());
    return 1;
  }
  if (config.scrypt_log2_n < 14) {
    Log("warning: SCRYPT_LOG2_N=%d is below 14: passwords are weakly hashed "
        "(meant for tests and benchmarks only)",
        config.scrypt_log2_n);
  }
  if (FCGX_Init() != 0) {
    Log("FCGX_Init failed");
    return 1;
  }
  PasswordPolicy passwords;
  if (!config.common_passwords.empty()) {
    Result<PasswordPolicy> loaded_list =
        PasswordPolicy::Load(config.common_passwords, kMinPasswordChars);
    if (loaded_list.ok()) {
      passwords = std::move(loaded_list).value();
    } else {
      Log("warning: %s; common passwords are not refused",
          loaded_list.status().message().c_str());
    }
  }
  HashGate hash_gate(config.hash_cap);
  Services services{&config,         &clock,     &signer.value(),
                    &sealer.value(), &hash_gate, &passwords};
  const Router router = MakeRouter();
  Heartbeat heartbeat(config, *storage.value());
  MailPool pool(config, clock, *storage.value(), signer.value(), sealer.value(),
                heartbeat);
  Sweeper sweeper(config, clock, *storage.value(), sealer.value(), heartbeat);
  heartbeat.Start();
  pool.Start();
  sweeper.Start();
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < config.threads; i++) {
    auto w = std::make_unique<Worker>();
    Worker* self = w.get();
    w->thread = std::thread(RequestLoop, std::cref(services), std::cref(router),
                            storage.value().get(), &pool, self);
    workers.push_back(std::move(w));
  }
  Log("started: %d request threads, %d mail threads", config.threads,
      config.mail_threads);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  Log("stopping (signal %d)", sig);
  g_stopping = true;
  FCGX_ShutdownPending();
  // Wake each request thread out of accept()/read() until it has left its
  // loop; a request in progress finishes first.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  for (;;) {
    bool all_done = true;
    for (auto& w : workers) {
      if (!w->done) {
        all_done = false;
        pthread_kill(w->thread.native_handle(), SIGUSR1);
      }
    }
    if (all_done || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool clean = true;
  for (auto& w : workers) {
    if (w->done) {
      w->thread.join();
    } else {
      clean = false;
    }
  }
  clean = pool.Stop(std::chrono::milliseconds(200)) && clean;
  clean = sweeper.Stop(std::chrono::milliseconds(100)) && clean;
  clean = heartbeat.Stop(std::chrono::milliseconds(100)) && clean;
  if (!clean) {
    // A send or request still in flight: its claim is no longer renewed
    // and runs out after the lease, then a sweep sends the job again, so
    // leaving now loses nothing.
    Log("stopped (work in flight left to the sweep)");
    std::_Exit(0);
  }
  curl_global_cleanup();
  Log("stopped");
  return 0;
}

}  // namespace
}  // namespace reg

int main() { return reg::Run(); }
