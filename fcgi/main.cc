// registrar: the FastCGI responder. spawn-fcgi (or systemd) hands it the
// listening socket as fd 0; it serves it with config.threads request
// threads, and its DeliveryThreads send the jobs after the answers. This
// file only puts the parts together, in order; each part does its own.
//   registrar [ENV_FILE]   settings from the environment, then ENV_FILE
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "base/config.h"
#include "base/hash_gate.h"
#include "base/log.h"
#include "crypto/keys.h"
#include "delivery/delivery_threads.h"
#include "delivery/senders.h"
#include "handlers/handlers.h"
#include "http/password_policy.h"
#include "i18n/messages.h"
#include "storage/storage.h"
#include "worker/fcgi_connections.h"
#include "worker/last_one_out.h"
#include "worker/process.h"
#include "worker/request_threads.h"
#include "worker/signals.h"

namespace reg {
namespace {

// The one way out of a start: the reason in the log, which goes to the
// original stderr too until StartupDone(), and an exit code spawn-fcgi
// prints ("child exited with: 2"): 2 for a setting, the operator's to fix
// (kInvalidArgument), 1 for anything else (a file, the database, ...).
int CannotStart(const Status& why) {
  Log("cannot start: %s", why.message().c_str());
  return why.code() == Code::kInvalidArgument ? 2 : 1;
}

void LogStarted(const Config& config, const Catalogues& catalogues) {
  std::string languages;
  for (const std::string& tag : catalogues.tags()) {
    languages += (languages.empty() ? "" : " ") + tag;
  }
  Log("started: %d request threads, %d mail threads, languages: %s",
      config.threads, config.mail_threads, languages.c_str());
}

// Starts everything on "config", serves until SIGTERM or SIGINT, stops.
int Serve(const Config& config) {
  if (Status s = CheckListenSocket(); !s.ok()) return CannotStart(s);
  LastOneOut last_one_out(config.pid_file);
  if (Status s = SetUpProcess(); !s.ok()) return CannotStart(s);
  Result<Keys> loaded = LoadKeys(config);
  if (!loaded.ok()) return CannotStart(loaded.status());
  const Keys& keys = loaded.value();
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage =
      OpenWorkerStorage(config, clock, keys.fingerprint);
  if (!storage.ok()) return CannotStart(storage.status());
  for (const std::string& line : ConfigWarnings(config)) {
    Log("%s", line.c_str());
  }
  Result<Catalogues> catalogues = LoadLangDir(config.lang_dir);
  if (!catalogues.ok()) return CannotStart(catalogues.status());

  const PasswordPolicy passwords =
      PasswordPolicy::LoadOrWarn(config.common_passwords);
  HashGate hash_gate(config.hash_cap);
  const Services services{
      &config,    &clock,     &keys.signer,        &keys.sealer,
      &hash_gate, &passwords, &catalogues.value(), keys.internal_key,
      &keys.codes};
  const Router router = MakeRouter();
  SenderFactory senders = CurlSenders(config, clock, &keys.event_signer);
  senders.envelope_sender = BounceSender(config, keys.bounce_tags);
  DeliveryThreads delivery(config, clock, *storage.value(), keys.signer,
                           keys.sealer, std::move(senders));
  delivery.Start();
  Result<std::unique_ptr<FcgiConnections>> connections =
      FcgiConnections::Open(0);
  if (!connections.ok()) return CannotStart(connections.status());
  RequestThreads requests(
      config.threads, *connections.value(), services, router, *storage.value(),
      [&delivery](Task task) { delivery.HandOver(std::move(task)); });
  LogStarted(config, catalogues.value());
  StartupDone();

  Log("stopping (signal %d)", WaitForStopSignal());
  // The requests first, then the work after them.
  const bool answered = requests.Stop(std::chrono::milliseconds(700));
  return EndProcess(delivery.Stop() && answered, last_one_out);
}

int Run(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    return CannotStart(
        Status::InvalidArgument("usage: registrar [ENV_FILE] (see README.md)"));
  }
  std::string log_file;
  Result<Config> config =
      LoadWorkerConfig([](const char* name) { return std::getenv(name); },
                       argc == 2 ? argv[1] : "", &log_file);
  // The log first, so that a bad setting is logged where operators look.
  if (!log_file.empty()) {
    if (Status s = OpenLogFile(log_file); !s.ok()) return CannotStart(s);
  }
  if (!config.ok()) return CannotStart(config.status());
  if (Status s = CheckStorageSettings(config.value()); !s.ok()) {
    return CannotStart(s);
  }
  return Serve(config.value());
}

}  // namespace
}  // namespace reg

int main(int argc, char** argv) { return reg::Run(argc, argv); }
