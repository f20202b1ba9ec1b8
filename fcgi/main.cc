// registrar: the FastCGI responder. spawn-fcgi (or systemd) hands it the
// listening socket as fd 0; it serves it with config.threads request
// threads and does post-answer work on the JobPool; the Sweeper and the
// Heartbeat run beside them.
//   registrar [ENV_FILE]   settings from the environment, then ENV_FILE
#include <curl/curl.h>
#include <fcgiapp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "base/config.h"
#include "base/env_file.h"
#include "base/hash_gate.h"
#include "base/log.h"
#include "crypto/bounce_tag.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "crypto/secret_file.h"
#include "delivery/heartbeat.h"
#include "delivery/job_pool.h"
#include "delivery/senders.h"
#include "delivery/sweeper.h"
#include "handlers/handlers.h"
#include "http/form.h"
#include "http/password_policy.h"
#include "i18n/messages.h"
#include "storage/storage.h"
#include "worker/last_one_out.h"
#include "worker/request_threads.h"
#include "worker/signals.h"

namespace reg {
namespace {

// How a worker that cannot start exits (spawn-fcgi prints it: "child
// exited with: 2").
constexpr int kBadSetting = 2;  // the operator's to fix: usage, a setting
constexpr int kFailed = 1;      // anything else: a file, the database, ...

// The one way out of a start: the reason in the log, which goes to the
// original stderr too until StartupDone().
int CannotStart(int exit_code, const Status& why) {
  Log("cannot start: %s", why.message().c_str());
  return exit_code;
}

// spawn-fcgi or registrar.socket passes the listening socket as fd 0.
Status CheckListenSocket() {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) == 0) return Status();
  return Status::InvalidArgument(
      "fd 0 is not a socket; start it with spawn-fcgi or registrar.socket "
      "(see README.md)");
}

// The keys made from the secret files, made on first start: the job
// secret's signer and sealer, and the events' signer (webhook.secret,
// made whether or not WEBHOOK_URL is set yet, so the site's app can be
// given it before events flow).
struct Keys {
  JobSigner signer;
  Sealer sealer;
  CodeMac codes;  // the verification mails' codes, from the job secret
  BounceTagger bounce_tags;
  JobSigner event_signer;
  std::string internal_key;
  std::string fingerprint;  // the job secret's (JobSecretFingerprint)
};

Result<Keys> LoadKeys(const Config& config) {
  Result<std::string> secret = CreateSecretIfMissing(SecretPath(config));
  if (!secret.ok()) return secret.status();
  Result<JobSigner> signer = JobSigner::Create(secret.value());
  if (!signer.ok()) return signer.status();
  Result<Sealer> sealer = Sealer::Create(secret.value());
  if (!sealer.ok()) return sealer.status();
  Result<CodeMac> codes = CodeMac::Create(secret.value());
  if (!codes.ok()) return codes.status();
  Result<BounceTagger> bounce_tags = BounceTagger::Create(secret.value());
  if (!bounce_tags.ok()) return bounce_tags.status();
  Result<std::string> event_secret =
      CreateSecretIfMissing(WebhookSecretPath(config));
  if (!event_secret.ok()) return event_secret.status();
  Result<JobSigner> event_signer = JobSigner::Create(event_secret.value());
  if (!event_signer.ok()) return event_signer.status();
  Result<std::string> internal_key =
      CreateSecretIfMissing(InternalSecretPath(config));
  if (!internal_key.ok()) return internal_key.status();
  Result<std::string> fingerprint = JobSecretFingerprint(secret.value());
  if (!fingerprint.ok()) return fingerprint.status();
  return Keys{std::move(signer).value(),       std::move(sealer).value(),
              std::move(codes).value(),        std::move(bounce_tags).value(),
              std::move(event_signer).value(), std::move(internal_key).value(),
              std::move(fingerprint).value()};
}

// Every catalogue complete, or no start: a page with a missing message is
// found here, not by a visitor.
Result<Catalogues> LoadCatalogues(const Config& config) {
  Result<Catalogues> catalogues = Catalogues::Load(config.lang_dir);
  if (catalogues.ok()) return catalogues;
  return Status::InvalidArgument("LANG_DIR=" + config.lang_dir + ": " +
                                 catalogues.status().message());
}

// COMMON_PASSWORDS, or only the address rule when it cannot be read.
PasswordPolicy LoadCommonPasswords(const Config& config) {
  if (config.common_passwords.empty()) return PasswordPolicy();
  Result<PasswordPolicy> loaded =
      PasswordPolicy::Load(config.common_passwords, kMinPasswordChars);
  if (loaded.ok()) return std::move(loaded).value();
  Log("warning: %s; common passwords are not refused",
      loaded.status().message().c_str());
  return PasswordPolicy();
}

// A reply's post-answer work, to the pool; what a full pool refuses is
// left to the sweep.
void HandOver(JobPool& pool, Task task) {
  const PostJob* post = std::get_if<PostJob>(&task);
  if (post == nullptr) {
    (void)pool.Submit(std::move(task));  // else the sweep sends it
  } else if (!pool.Submit(*post)) {
    Log("job %lld: job queue full, left to the sweep",
        static_cast<long long>(post->id));
  }
}

void LogStarted(const Config& config, const Catalogues& catalogues) {
  std::string languages;
  for (const std::string& tag : catalogues.tags()) {
    languages += (languages.empty() ? "" : " ") + tag;
  }
  Log("started: %d request threads, %d mail threads, languages: %s",
      config.threads, config.mail_threads, languages.c_str());
}

// Stops taking requests first, then the work after them; false when some
// was still in flight.
bool StopAll(RequestThreads& requests, JobPool& pool, Sweeper& sweeper,
             Heartbeat& heartbeat) {
  bool clean = requests.Stop(std::chrono::milliseconds(700));
  clean = pool.Stop(std::chrono::milliseconds(200)) && clean;
  clean = sweeper.Stop(std::chrono::milliseconds(100)) && clean;
  clean = heartbeat.Stop(std::chrono::milliseconds(100)) && clean;
  return clean;
}

// Starts everything on "config", serves until SIGTERM or SIGINT, stops.
int Serve(const Config& config) {
  if (Status s = CheckListenSocket(); !s.ok()) {
    return CannotStart(kBadSetting, s);
  }
  LastOneOut last_one_out(config.pid_file);
  // libcurl's global init is not thread-safe: before any thread.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return CannotStart(kFailed, Status::Internal("curl_global_init failed"));
  }
  SetUpSignals();
  Result<Keys> keys = LoadKeys(config);
  if (!keys.ok()) return CannotStart(kFailed, keys.status());
  SystemClock clock;
  Result<std::unique_ptr<Storage>> opened = OpenStorage(config, clock);
  if (!opened.ok()) return CannotStart(kFailed, opened.status());
  Storage& storage = *opened.value();
  // Hosts on one database hold one job secret: a host that made its own
  // (a missing JOB_SECRET_FILE) would fail the others' sealed mail.
  if (Status s = storage.CheckJobSecret(keys.value().fingerprint); !s.ok()) {
    if (s.code() != Code::kInvalidArgument) return CannotStart(kFailed, s);
    return CannotStart(kBadSetting,
                       Status::InvalidArgument("JOB_SECRET_FILE=" +
                                               SecretPath(config) + ": " +
                                               s.message()));
  }
  for (const std::string& line : ConfigWarnings(config)) {
    Log("%s", line.c_str());
  }
  Result<Catalogues> catalogues = LoadCatalogues(config);
  if (!catalogues.ok()) return CannotStart(kBadSetting, catalogues.status());
  if (FCGX_Init() != 0) {
    return CannotStart(kFailed, Status::Internal("FCGX_Init failed"));
  }

  const Keys& k = keys.value();
  const PasswordPolicy passwords = LoadCommonPasswords(config);
  HashGate hash_gate(config.hash_cap);
  const Services services{
      &config,    &clock,     &k.signer,           &k.sealer,
      &hash_gate, &passwords, &catalogues.value(), k.internal_key,
      &k.codes};
  const Router router = MakeRouter();
  Heartbeat heartbeat(config, storage);
  SenderFactory senders = CurlSenders(config, clock, &k.event_signer);
  if (!config.bounce_address.empty()) {
    // BOUNCE_ADDRESS with each job's tag (crypto/bounce_tag.h).
    senders.envelope_sender = [&config, &k](const ClaimedJob& job) {
      return k.bounce_tags.Sender(config.bounce_address, job.id, job.rcpt,
                                  job.created_ms);
    };
  }
  JobPool pool(config, clock, storage, k.signer, k.sealer, heartbeat, senders);
  Sweeper sweeper(config, clock, storage, k.sealer, heartbeat, senders);
  heartbeat.Start();
  pool.Start();
  sweeper.Start();
  RequestThreads requests(
      config.threads, services, router, storage,
      [&pool](Task task) { HandOver(pool, std::move(task)); });
  LogStarted(config, catalogues.value());
  StartupDone();

  Log("stopping (signal %d)", WaitForStopSignal());
  if (!StopAll(requests, pool, sweeper, heartbeat)) {
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

int Run(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    return CannotStart(
        kBadSetting, Status::InvalidArgument("usage: registrar [ENV_FILE] (see "
                                             "README.md)"));
  }
  Result<EnvMap> env_file = argc == 2 ? ReadEnvFile(argv[1]) : EnvMap();
  const EnvMap no_file;
  const auto getenv = EnvThenFile(env_file.ok() ? env_file.value() : no_file);
  // The log first (from the environment alone if ENV_FILE failed), so that
  // a bad setting is logged where operators look.
  if (const char* log_file = getenv("LOG_FILE");
      log_file != nullptr && *log_file != '\0') {
    Status opened = OpenLogFile(log_file);
    if (!opened.ok()) return CannotStart(kFailed, opened);
  }
  if (!env_file.ok()) return CannotStart(kBadSetting, env_file.status());
  Result<Config> config = LoadConfig(getenv);
  if (!config.ok()) return CannotStart(kBadSetting, config.status());
  if (Status s = CheckStorageSettings(config.value()); !s.ok()) {
    return CannotStart(kBadSetting, s);
  }
  return Serve(config.value());
}

}  // namespace
}  // namespace reg

int main(int argc, char** argv) { return reg::Run(argc, argv); }
