// registrar: the FastCGI responder. spawn-fcgi (or systemd) hands it the
// listening socket as fd 0; it serves it with config.threads request
// threads and does post-answer work on the JobPool; the Sweeper and the
// Heartbeat run beside them.
//   registrar [ENV_FILE]   settings from the environment, then ENV_FILE
#include <curl/curl.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "base/config.h"
#include "base/env_file.h"
#include "base/hash_gate.h"
#include "base/log.h"
#include "base/mail_settings.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "delivery/deliver.h"
#include "delivery/heartbeat.h"
#include "delivery/job_pool.h"
#include "delivery/senders.h"
#include "delivery/sweeper.h"
#include "handlers/handlers.h"
#include "http/form.h"
#include "http/password_policy.h"
#include "i18n/messages.h"
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
                 Storage* storage, JobPool* pool, Worker* self) {
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
      if (!pool->Submit(*post)) {
        Log("job %lld: job queue full, left to the sweep",
            static_cast<long long>(post->id));
      }
    } else if (!std::holds_alternative<std::monostate>(reply.after)) {
      (void)pool->Submit(std::move(reply.after));  // else the sweep sends it
    }
  }
  self->done = true;
}

// With PID_FILE set (spawn-fcgi), every worker holds a shared lock on the
// pid file's folder while it runs; the one that stops last gets the
// exclusive lock and removes the pid file and the socket it listened on.
class LastOneOut {
 public:
  explicit LastOneOut(const std::string& pid_file) : pid_file_(pid_file) {
    if (pid_file_.empty()) return;
    const size_t slash = pid_file_.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : pid_file_.substr(0, slash + 1);
    fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ >= 0) flock(fd_, LOCK_SH);
  }
  ~LastOneOut() {
    if (fd_ >= 0) close(fd_);
  }
  LastOneOut(const LastOneOut&) = delete;
  LastOneOut& operator=(const LastOneOut&) = delete;

  void Leave() {
    if (fd_ < 0) return;
    flock(fd_, LOCK_UN);
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) return;  // others still serve
    sockaddr_un addr = {};
    socklen_t len = sizeof addr;
    struct stat st;
    if (getsockname(0, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
        addr.sun_family == AF_UNIX && addr.sun_path[0] != '\0' &&
        stat(addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
      unlink(addr.sun_path);
    }
    unlink(pid_file_.c_str());
    Log("last worker out: removed %s and the socket", pid_file_.c_str());
  }

 private:
  std::string pid_file_;
  int fd_ = -1;
};

// Every early exit says why: in the log and on the original stderr.
int StartFailed(int code, const std::string& why) {
  Log("cannot start: %s", why.c_str());
  return code;
}

int Run(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    std::fprintf(stderr, "usage: registrar [ENV_FILE]  (see README.md)\n");
    return 2;
  }
  EnvMap env_file;
  Status env_read;
  if (argc == 2) {
    Result<EnvMap> read = ReadEnvFile(argv[1]);
    if (read.ok()) {
      env_file = std::move(read).value();
    } else {
      env_read = read.status();
    }
  }
  const auto getenv = EnvThenFile(env_file);
  // The log first (from the environment if the file failed), so that a
  // bad setting is logged where operators look.
  if (const char* log_file = getenv("LOG_FILE");
      log_file != nullptr && *log_file != '\0') {
    Status opened = OpenLogFile(log_file);
    if (!opened.ok()) return StartFailed(1, opened.message());
  }
  if (!env_read.ok()) return StartFailed(2, env_read.message());
  Result<Config> loaded = LoadConfig(getenv);
  if (!loaded.ok()) return StartFailed(2, loaded.status().message());
  Config config = std::move(loaded).value();
  if (config.smtp_helo.empty()) {
    config.smtp_helo = DefaultEhloName(HostFqdn(), config.base_url);
  }
  if (!config.smtp_ca_file.empty() &&
      access(config.smtp_ca_file.c_str(), R_OK) != 0) {
    return StartFailed(2, "config: SMTP_CA_FILE=" + config.smtp_ca_file + ": " +
                              std::strerror(errno));
  }
  int sock_type = 0;
  socklen_t len = sizeof sock_type;
  if (getsockopt(0, SOL_SOCKET, SO_TYPE, &sock_type, &len) != 0) {
    return StartFailed(2,
                       "fd 0 is not a socket; start it with spawn-fcgi or "
                       "registrar.socket (see README.md)");
  }
  LastOneOut last_one_out(config.pid_file);
  // libcurl's global init is not thread-safe: before any thread.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return StartFailed(1, "curl_global_init failed");
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
  if (!secret.ok()) return StartFailed(1, secret.status().ToString());
  Result<JobSigner> signer = JobSigner::Create(secret.value());
  Result<Sealer> sealer = Sealer::Create(secret.value());
  if (!signer.ok() || !sealer.ok()) {
    return StartFailed(
        1, "crypto set-up failed: " + signer.status().ToString() + " " +
               sealer.status().ToString());
  }
  // The events' key, apart from the job secret; made on first start like
  // it, whether or not WEBHOOK_URL is set yet, so the site's app can be
  // given it before events flow.
  Result<std::string> event_secret =
      CreateSecretIfMissing(WebhookSecretPath(config));
  if (!event_secret.ok()) {
    Log("%s", event_secret.status().ToString().c_str());
    return 1;
  }
  Result<JobSigner> event_signer = JobSigner::Create(event_secret.value());
  if (!event_signer.ok()) {
    Log("crypto set-up failed: %s", event_signer.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage = OpenStorage(config, clock);
  if (!storage.ok()) return StartFailed(1, storage.status().ToString());
  for (const std::string& line : MailWarnings(config)) {
    Log("%s", line.c_str());
  }
  if (config.scrypt_log2_n < 14) {
    Log("warning: SCRYPT_LOG2_N=%d is below 14: passwords are weakly hashed "
        "(meant for tests and benchmarks only)",
        config.scrypt_log2_n);
  }
  // Every catalogue complete, or no start: a page with a missing message
  // is found here, not by a visitor.
  Result<Catalogues> catalogues = Catalogues::Load(config.lang_dir);
  if (!catalogues.ok()) {
    return StartFailed(2, "LANG_DIR=" + config.lang_dir + ": " +
                              catalogues.status().message());
  }
  if (FCGX_Init() != 0) return StartFailed(1, "FCGX_Init failed");
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
  Services services{&config,    &clock,     &signer.value(),    &sealer.value(),
                    &hash_gate, &passwords, &catalogues.value()};
  const Router router = MakeRouter();
  Heartbeat heartbeat(config, *storage.value());
  const SenderFactory senders =
      CurlSenders(config, clock, &event_signer.value());
  JobPool pool(config, clock, *storage.value(), signer.value(), sealer.value(),
               heartbeat, senders);
  Sweeper sweeper(config, clock, *storage.value(), sealer.value(), heartbeat,
                  senders);
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
  std::string languages;
  for (const std::string& tag : catalogues.value().tags()) {
    languages += (languages.empty() ? "" : " ") + tag;
  }
  Log("started: %d request threads, %d mail threads, languages: %s",
      config.threads, config.mail_threads, languages.c_str());
  StartupDone();

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
    last_one_out.Leave();
    std::_Exit(0);
  }
  curl_global_cleanup();
  last_one_out.Leave();
  Log("stopped");
  return 0;
}

}  // namespace
}  // namespace reg

int main(int argc, char** argv) { return reg::Run(argc, argv); }
