#include "base/config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/encoding.h"
#include "base/env_file.h"
#include "base/mail_settings.h"

namespace reg {
namespace {

struct IntVar {
  const char* name;
  int min;
  int max;
  int Config::*field;
};

// One row per integer setting; defaults live in struct Config.
constexpr IntVar kIntVars[] = {
    {"THREADS", 1, 256, &Config::threads},
    {"MAIL_THREADS", 1, 64, &Config::mail_threads},
    {"MAIL_QUEUE", 1, 1 << 20, &Config::mail_queue},
    {"SCRYPT_LOG2_N", 4, 20, &Config::scrypt_log2_n},
    {"HASH_CAP", 1, 64, &Config::hash_cap},
    {"HASH_WAIT_MS", 0, 60000, &Config::hash_wait_ms},
    {"TOKEN_TTL_S", 1, 30 * 86400, &Config::token_ttl_s},
    {"RETRY_S", 1, 3600, &Config::retry_s},
    {"RETRY_FOR_S", 60, 30 * 86400, &Config::retry_for_s},
    {"MAIL_CAP", 0, 1000000, &Config::mail_cap},
    {"MAIL_CAP_TOTAL", 0, 100000000, &Config::mail_cap_total},
    {"RETAIN_UNVERIFIED_S", 1, 3650 * 86400, &Config::retain_unverified_s},
    {"RETAIN_MAIL_S", 1, 3650 * 86400, &Config::retain_mail_s},
    {"SWEEP_S", 1, 3600, &Config::sweep_s},
    {"LEASE_S", 2, 120, &Config::lease_s},
    {"SMTP_TIMEOUT_S", 1, 900, &Config::smtp_timeout_s},
    {"SMTP_CONNECT_S", 1, 120, &Config::smtp_connect_s},
    {"SMTP_IDLE_S", 1, 240, &Config::smtp_idle_s},
    {"SUPPRESS_S", 0, 3650 * 86400, &Config::suppress_s},
};

struct StringVar {
  const char* name;
  std::string Config::*field;
};

constexpr StringVar kStringVars[] = {
    {"DATA_DIR", &Config::data_dir},
    {"BASE_URL", &Config::base_url},
    {"INTERNAL_URL", &Config::internal_url},
    {"WEBHOOK_URL", &Config::webhook_url},
    {"SMTP_URL", &Config::smtp_url},
    {"SMTP_USER", &Config::smtp_user},
    {"SMTP_PASSWORD", &Config::smtp_password},
    {"MAIL_FROM", &Config::mail_from},
    {"BOUNCE_ADDRESS", &Config::bounce_address},
    {"DATABASE_URL", &Config::database_url},
    {"JOB_SECRET_FILE", &Config::job_secret_file},
    {"SMTP_HELO", &Config::smtp_helo},
    {"SMTP_CA_FILE", &Config::smtp_ca_file},
    {"COMMON_PASSWORDS", &Config::common_passwords},
    {"LANG_DIR", &Config::lang_dir},
    {"LOG_FILE", &Config::log_file},
    {"PID_FILE", &Config::pid_file},
};

Status Bad(const char* name, const char* value, const std::string& why) {
  std::string shown = value;
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return Status::InvalidArgument(std::string("config: ") + name + "=" + shown +
                                 ": " + why);
}

bool HasControlChar(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// MAIL_FROM split into name and address, SMTP_HELO as a literal where it
// is an IP address (or the default name), and credentials never in clear
// to another host.
Status CheckMailSettings(Config* config, bool loopback) {
  Result<MailFrom> from = ParseMailFrom(config->mail_from);
  if (!from.ok()) {
    return Bad("MAIL_FROM", config->mail_from.c_str(), from.status().message());
  }
  config->mail_from = from.value().address;
  config->mail_from_name = from.value().name;
  if (!config->bounce_address.empty()) {
    // A bare address, ASCII (the envelope sender needs no SMTPUTF8), with
    // no '+' of its own: the tag goes after the one we add.
    Result<MailFrom> bounce = ParseMailFrom(config->bounce_address);
    const std::string& b = config->bounce_address;
    if (!bounce.ok() || bounce.value().address != b ||
        b.find('+') != std::string::npos ||
        std::any_of(b.begin(), b.end(),
                    [](char c) { return (c & 0x80) != 0; })) {
      return Bad("BOUNCE_ADDRESS", b.c_str(),
                 "not a bare ASCII address without '+' "
                 "(want bounces@example.com)");
    }
  }
  if (!config->smtp_helo.empty()) {
    Result<std::string> helo = EhloName(config->smtp_helo);
    if (!helo.ok()) {
      return Bad("SMTP_HELO", config->smtp_helo.c_str(),
                 helo.status().message());
    }
    config->smtp_helo = helo.value();
  } else {
    config->smtp_helo = DefaultEhloName(HostFqdn(), config->base_url);
  }
  const bool tls = config->smtp_url.rfind("smtps://", 0) == 0 ||
                   config->smtp_tls == SmtpTls::kRequired;
  if (!config->smtp_user.empty() && !tls && !loopback) {
    return Bad("SMTP_USER", config->smtp_user.c_str(),
               "credentials would cross the network without TLS to " +
                   UrlHost(config->smtp_url) +
                   "; set SMTP_TLS=required or use smtps://");
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(
    const std::function<const char*(const char*)>& getenv) {
  Config config;
  for (const IntVar& var : kIntVars) {
    const char* value = getenv(var.name);
    if (value == nullptr || *value == '\0') continue;
    errno = 0;
    char* end = nullptr;
    long n = std::strtol(value, &end, 10);
    if (errno != 0 || *end != '\0' || n < var.min || n > var.max) {
      return Bad(var.name, value,
                 "not an integer in [" + std::to_string(var.min) + ", " +
                     std::to_string(var.max) + "]");
    }
    config.*var.field = static_cast<int>(n);
  }
  for (const StringVar& var : kStringVars) {
    const char* value = getenv(var.name);
    if (value == nullptr || *value == '\0') continue;
    if (HasControlChar(value)) return Bad(var.name, "…", "control character");
    config.*var.field = value;
  }
  while (!config.base_url.empty() && config.base_url.back() == '/') {
    config.base_url.pop_back();
  }
  // The mailer appends "/<EHLO name>" (libcurl's EHLO argument).
  while (!config.smtp_url.empty() && config.smtp_url.back() == '/') {
    config.smtp_url.pop_back();
  }
  const std::string smtp_host = UrlHost(config.smtp_url);
  const bool loopback = IsLoopbackHost(smtp_host);
  config.smtp_tls = loopback ? SmtpTls::kTry : SmtpTls::kRequired;
  if (const char* tls = getenv("SMTP_TLS"); tls != nullptr && *tls != '\0') {
    std::string t = tls;
    if (t == "try") {
      config.smtp_tls = SmtpTls::kTry;
    } else if (t == "required") {
      config.smtp_tls = SmtpTls::kRequired;
    } else if (t == "off") {
      config.smtp_tls = SmtpTls::kOff;
    } else {
      return Bad("SMTP_TLS", tls, "not one of try, required, off");
    }
  }
  if (const char* sync = getenv("SQLITE_SYNC");
      sync != nullptr && *sync != '\0') {
    std::string v = sync;
    if (v != "full" && v != "normal")
      return Bad("SQLITE_SYNC", sync, "not one of full, normal");
    config.sqlite_sync_full = v == "full";
  }
  if (config.smtp_url.rfind("smtp://", 0) != 0 &&
      config.smtp_url.rfind("smtps://", 0) != 0) {
    return Bad("SMTP_URL", config.smtp_url.c_str(),
               "not smtp://host:port or smtps://host:port");
  }
  if (config.base_url.rfind("http://", 0) != 0 &&
      config.base_url.rfind("https://", 0) != 0) {
    return Bad("BASE_URL", config.base_url.c_str(), "not an http(s) URL");
  }
  Status s = CheckMailSettings(&config, loopback);
  if (!s.ok()) return s;
  if (!config.webhook_url.empty() &&
      config.webhook_url.rfind("http://", 0) != 0 &&
      config.webhook_url.rfind("https://", 0) != 0) {
    return Bad("WEBHOOK_URL", config.webhook_url.c_str(), "not an http(s) URL");
  }
  // The events name the verified addresses: never in clear to another host.
  if (config.webhook_url.rfind("http://", 0) == 0 &&
      !IsLoopbackHost(UrlHost(config.webhook_url))) {
    return Bad("WEBHOOK_URL", config.webhook_url.c_str(),
               "the events would cross the network without TLS to " +
                   UrlHost(config.webhook_url) + "; use https://");
  }
  if (!config.smtp_ca_file.empty() &&
      access(config.smtp_ca_file.c_str(), R_OK) != 0) {
    return Bad("SMTP_CA_FILE", config.smtp_ca_file.c_str(),
               std::strerror(errno));
  }
  return config;
}

Result<Config> LoadWorkerConfig(
    const std::function<const char*(const char*)>& getenv,
    const std::string& env_file, std::string* log_file) {
  Result<EnvMap> file = env_file.empty() ? EnvMap() : ReadEnvFile(env_file);
  const EnvMap none;
  const auto lookup = EnvThenFile(file.ok() ? file.value() : none, getenv);
  const char* log = lookup("LOG_FILE");
  *log_file = log != nullptr ? log : "";
  if (!file.ok()) return Status::InvalidArgument(file.status().message());
  return LoadConfig(lookup);
}

std::vector<std::string> ConfigWarnings(const Config& config) {
  std::vector<std::string> lines = MailWarnings(config);
  if (!config.bounce_address.empty()) {
    const auto domain = [](const std::string& a) {
      return AsciiLowerCopy(a.substr(a.rfind('@') + 1));
    };
    const std::string from = domain(config.mail_from);
    const std::string bounce = domain(config.bounce_address);
    const bool inside =
        bounce == from || (bounce.size() > from.size() &&
                           bounce.compare(bounce.size() - from.size() - 1,
                                          std::string::npos, "." + from) == 0);
    if (!inside) {
      lines.push_back("warning: BOUNCE_ADDRESS=" + config.bounce_address +
                      ": outside MAIL_FROM's domain " + from +
                      "; receivers that check alignment (DMARC with SPF) "
                      "may junk the mails");
    }
  }
  // An unverified account goes, with its mails, RETAIN_UNVERIFIED_S after
  // its last link expired: its mails are then at least TOKEN_TTL_S +
  // RETAIN_UNVERIFIED_S old. Below 7 days (storage's kNotificationMaxAgeMs,
  // how long a bounce about a mail is still recorded; MAIL_CAP counts a
  // day of them) they may be gone before the cap or a bounce is done.
  const long long kept_s =
      static_cast<long long>(config.token_ttl_s) + config.retain_unverified_s;
  if (kept_s < 7 * 86400LL) {
    lines.push_back(
        "warning: TOKEN_TTL_S + RETAIN_UNVERIFIED_S = " +
        std::to_string(kept_s) +
        " s is below 7 days: an unverified account's mails may be deleted "
        "before MAIL_CAP has counted them for a day or a bounce about them "
        "has come back (meant for tests only)");
  }
  if (config.scrypt_log2_n < 14) {
    lines.push_back(
        "warning: SCRYPT_LOG2_N=" + std::to_string(config.scrypt_log2_n) +
        " is below 14: passwords are weakly hashed (meant for "
        "tests and benchmarks only)");
  }
  return lines;
}

std::string DatabasePath(const Config& config) {
  return config.data_dir + "/registrar.db";
}

std::string WebhookSecretPath(const Config& config) {
  return config.data_dir + "/webhook.secret";
}

std::string InternalSecretPath(const Config& config) {
  return config.data_dir + "/internal.secret";
}

std::string SecretPath(const Config& config) {
  if (!config.job_secret_file.empty()) return config.job_secret_file;
  return config.data_dir + "/job.secret";
}

}  // namespace reg
