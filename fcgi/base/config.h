// Config: every setting the responder reads, with its default. Filled from
// the environment by LoadConfig; nothing else in the program calls getenv().
#ifndef FCGI_BASE_CONFIG_H_
#define FCGI_BASE_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace reg {

enum class SmtpTls { kTry, kRequired, kOff };

struct Config {
  // Folder for the database and job.secret.
  std::string data_dir = "./run";
  // LOG_FILE: the workers append their log here themselves (spawn-fcgi
  // leaves forked workers no stderr); "" means stderr (journald under
  // systemd). Opened before the other settings are read.
  std::string log_file;
  // PID_FILE: the file spawn-fcgi -P wrote. When set, the last worker to
  // stop on SIGTERM removes it and the FastCGI socket it listened on.
  std::string pid_file;
  // Public URL used in the links inside mails (no trailing slash).
  std::string base_url = "http://127.0.0.1:8080";
  // Where a worker posts signed mail jobs (nginx's internal listener,
  // INTERNAL_PORT = PORT + 1).
  std::string internal_url = "http://127.0.0.1:8081/internal/mail";
  // Where account.verified events are posted (http:// or https://);
  // empty: no events.
  std::string webhook_url;
  // smtp://host:port or smtps://host:port.
  std::string smtp_url = "smtp://127.0.0.1:2525";
  // SMTP AUTH credentials; empty means no AUTH.
  std::string smtp_user;
  std::string smtp_password;
  // STARTTLS policy for smtp:// URLs (SMTP_TLS=try|required|off); unset:
  // required for a host other than a loopback one, try for a loopback one.
  SmtpTls smtp_tls = SmtpTls::kTry;
  // The EHLO name, an IP address always as a literal ("[192.0.2.1]");
  // unset: DefaultEhloName(HostFqdn(), base_url) (base/mail_settings.h).
  std::string smtp_helo;
  // PEM file of the CAs trusted for the SMTP server ("": the system's);
  // must be readable at start.
  std::string smtp_ca_file;
  // LANG_DIR: the message catalogues, one <tag>.json per language (en.json
  // at least). The package's folder; tools/stack sets the repository's.
  std::string lang_dir = "/usr/share/registrar/lang";
  // One common password per line, refused at registration ("" for none).
  std::string common_passwords = "/usr/share/john/password.lst";
  // Envelope sender and From header's address; MAIL_FROM may also give a
  // display name ("Example <no-reply@example.com>"), kept in mail_from_name.
  std::string mail_from = "no-reply@localhost";
  std::string mail_from_name;
  // BOUNCE_ADDRESS: the envelope sender, with a bounce tag after '+'
  // (crypto/bounce_tag.h); ASCII, no '+'. "": MAIL_FROM's address, no tag.
  std::string bounce_address;
  // An address that does not exist gets no mail for this long (SUPPRESS_S;
  // 0: never suppressed).
  int suppress_s = 30 * 86400;
  // Request threads per process, each with its own FCGX_Request.
  int threads = 16;
  // Background threads per process (the JobPool) that post jobs and send
  // them, mails and events (MAIL_THREADS).
  int mail_threads = 4;
  // Post-answer tasks waiting for a pool thread (MAIL_QUEUE); past it the
  // sweep takes over.
  int mail_queue = 1024;
  // scrypt cost: N = 2^scrypt_log2_n, r = 8, p = 1.
  int scrypt_log2_n = 17;
  // Password hashes running at once per process; more wait, then 503.
  int hash_cap = 2;
  // How long a registration waits for a hash slot before the 503.
  int hash_wait_ms = 2000;
  // Lifetime of a verification link.
  int token_ttl_s = 86400;
  // First retry delay of a failed mail; doubles each time, capped at 1 h.
  int retry_s = 30;
  // A job still failing this long after it was queued is given up.
  int retry_for_s = 48 * 3600;
  // Mails to one mailbox per hour, case and +tag ignored (0: no cap).
  int mail_cap = 3;
  // Mails per hour to one recipient domain; past it mail is delayed until
  // the domain's hour has room (0: no cap).
  int mail_cap_total = 10000;
  // Unverified accounts (tokens, mail jobs) are deleted this long after
  // their last link expired.
  int retain_unverified_s = 7 * 86400;
  // Sent mails' sealed bodies are deleted this long after sending; the job
  // row and its history stay.
  int retain_mail_s = 7 * 86400;
  // How often each process sweeps for jobs nobody is sending.
  int sweep_s = 30;
  // A "sending" claim expires after this; the job can then be claimed again.
  int lease_s = 120;
  // DATABASE_URL: a PostgreSQL connection string shared by every host;
  // empty: SQLite in data_dir (one host).
  std::string database_url;
  // JOB_SECRET_FILE: the job secret; empty: data_dir/job.secret. Hosts
  // sharing a database must hold the same secret.
  std::string job_secret_file;
  // SQLITE_SYNC=full (default): each commit is on disk before the answer.
  // SQLITE_SYNC=normal: faster; survives a process crash, but a power loss
  // can roll back the last answered registrations.
  bool sqlite_sync_full = true;
  // The longest wait for one reply of the SMTP server: RFC 5321
  // 4.5.3.2.6 has a client wait 10 minutes for the reply to the final dot
  // (giving up earlier sends the mail twice: RFC 1047). Connecting, TLS
  // and EHLO have their own short limit, smtp_connect_s.
  int smtp_timeout_s = 600;
  int smtp_connect_s = 10;
  // A kept SMTP connection idle this long is closed (with QUIT), well
  // before a server's usual 300 s timeout.
  int smtp_idle_s = 60;
};

// Reads every setting through "getenv" (std::getenv in production) and
// completes it: trailing slashes off BASE_URL and SMTP_URL, MAIL_FROM
// split, SMTP_HELO written as a literal or, unset, the default EHLO name
// (a host name lookup). Fails with InvalidArgument and a message naming
// the variable, e.g. "config: RETRY_S=abc: not an integer in [1, 3600]",
// also when SMTP_CA_FILE cannot be read.
Result<Config> LoadConfig(
    const std::function<const char*(const char*)>& getenv);

// The settings of a worker started as "registrar [ENV_FILE]": each
// variable from "getenv" (the process environment) first, else from the
// file "env_file" ("" for none; base/env_file.h), through LoadConfig.
// "*log_file" gets LOG_FILE whatever else fails (from "getenv" alone when
// the file cannot be read or parsed), so that the failure can be logged
// where operators look. A file that cannot be read or parsed is
// InvalidArgument too, naming it ("/etc/registrar/registrar.env: cannot
// be read"): the workers' start then exits as for any bad setting.
Result<Config> LoadWorkerConfig(
    const std::function<const char*(const char*)>& getenv,
    const std::string& env_file, std::string* log_file);

// Lines to log at start about settings that work but do not belong in
// production ("warning: SCRYPT_LOG2_N=10 ..."; MailWarnings' too).
std::vector<std::string> ConfigWarnings(const Config& config);

// Path helpers under data_dir.
std::string DatabasePath(const Config& config);
std::string SecretPath(const Config& config);
// DATA_DIR/webhook.secret: the key of the events' signatures.
std::string WebhookSecretPath(const Config& config);
// DATA_DIR/internal.secret: the key nginx's internal listener passes as
// the FastCGI parameter REGISTRAR_INTERNAL (its include file: README).
std::string InternalSecretPath(const Config& config);

}  // namespace reg

#endif  // FCGI_BASE_CONFIG_H_
