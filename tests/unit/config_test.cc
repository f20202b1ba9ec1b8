#include "base/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "base/mail_settings.h"
#include "testutil.h"

namespace reg {
namespace {

using Env = std::map<std::string, std::string>;

Result<Config> Load(const Env& env) {
  return LoadConfig([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

// The message of a load that must fail ("" and a test failure if it did not).
std::string Error(const Env& env) {
  Result<Config> c = Load(env);
  EXPECT_FALSE(c.ok()) << "loaded " << env.begin()->first;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  return c.status().message();
}

struct IntCase {
  const char* name;
  int Config::*field;
  int min;
  int max;
};

// The documented range of every integer variable.
constexpr IntCase kInts[] = {
    {"THREADS", &Config::threads, 1, 256},
    {"MAIL_THREADS", &Config::mail_threads, 1, 64},
    {"MAIL_QUEUE", &Config::mail_queue, 1, 1 << 20},
    {"SCRYPT_LOG2_N", &Config::scrypt_log2_n, 4, 20},
    {"HASH_CAP", &Config::hash_cap, 1, 64},
    {"HASH_WAIT_MS", &Config::hash_wait_ms, 0, 60000},
    {"TOKEN_TTL_S", &Config::token_ttl_s, 1, 30 * 86400},
    {"RETRY_S", &Config::retry_s, 1, 3600},
    {"RETRY_FOR_S", &Config::retry_for_s, 60, 30 * 86400},
    {"MAIL_CAP", &Config::mail_cap, 0, 1000000},
    {"MAIL_CAP_TOTAL", &Config::mail_cap_total, 0, 100000000},
    {"RETAIN_UNVERIFIED_S", &Config::retain_unverified_s, 1, 3650 * 86400},
    {"RETAIN_MAIL_S", &Config::retain_mail_s, 1, 3650 * 86400},
    {"SWEEP_S", &Config::sweep_s, 1, 3600},
    {"LEASE_S", &Config::lease_s, 2, 120},
    {"SMTP_TIMEOUT_S", &Config::smtp_timeout_s, 1, 900},
    {"SMTP_CONNECT_S", &Config::smtp_connect_s, 1, 120},
    {"SMTP_IDLE_S", &Config::smtp_idle_s, 1, 240},
    {"SUPPRESS_S", &Config::suppress_s, 0, 3650 * 86400},
};

std::string RangeError(const IntCase& c, const std::string& value) {
  return std::string("config: ") + c.name + "=" + value +
         ": not an integer in [" + std::to_string(c.min) + ", " +
         std::to_string(c.max) + "]";
}

TEST(LoadConfig, AnEmptyEnvironmentGivesTheStructDefaults) {
  Result<Config> loaded = Load({});
  ASSERT_OK(loaded);
  const Config& c = loaded.value();
  const Config d;
  EXPECT_EQ(c.data_dir, d.data_dir);
  EXPECT_EQ(c.base_url, d.base_url);
  EXPECT_EQ(c.internal_url, d.internal_url);
  EXPECT_EQ(c.smtp_url, d.smtp_url);
  EXPECT_EQ(c.smtp_user, d.smtp_user);
  EXPECT_EQ(c.smtp_password, d.smtp_password);
  EXPECT_EQ(c.smtp_tls, d.smtp_tls);
  EXPECT_EQ(c.mail_from, d.mail_from);
  for (const IntCase& i : kInts) EXPECT_EQ(c.*i.field, d.*i.field) << i.name;
}

TEST(LoadConfig, HardeningDefaults) {
  const Config d;
  EXPECT_EQ(d.mail_cap_total, 10000);  // generous: mails an hour
  EXPECT_EQ(d.retain_unverified_s, 7 * 86400);
  EXPECT_EQ(d.retain_mail_s, 7 * 86400);
  EXPECT_EQ(d.internal_url, "http://127.0.0.1:8081/internal/mail");
}

TEST(LoadConfig, EveryDefaultIsInsideItsOwnRange) {
  const Config d;
  for (const IntCase& i : kInts) {
    EXPECT_GE(d.*i.field, i.min) << i.name;
    EXPECT_LE(d.*i.field, i.max) << i.name;
  }
}

TEST(LoadConfig, EmptyVariablesKeepTheDefaults) {
  Env env;
  for (const IntCase& i : kInts) env[i.name] = "";
  env["BASE_URL"] = "";
  env["SMTP_URL"] = "";
  env["SMTP_TLS"] = "";
  Result<Config> loaded = Load(env);
  ASSERT_OK(loaded);
  const Config d;
  for (const IntCase& i : kInts)
    EXPECT_EQ(loaded.value().*i.field, d.*i.field) << i.name;
  EXPECT_EQ(loaded.value().base_url, d.base_url);
}

TEST(LoadConfig, ParsesEveryIntegerVariable) {
  for (const IntCase& i : kInts) {
    for (int value : {i.min, i.max, (i.min + i.max) / 2}) {
      Result<Config> loaded = Load({{i.name, std::to_string(value)}});
      ASSERT_OK(loaded) << i.name << "=" << value;
      EXPECT_EQ(loaded.value().*i.field, value) << i.name;
    }
  }
}

TEST(LoadConfig, SetsEachIntegerVariableOnlyInItsOwnField) {
  Result<Config> loaded = Load({{"RETRY_S", "7"}});
  ASSERT_OK(loaded);
  const Config d;
  for (const IntCase& i : kInts) {
    if (std::string(i.name) == "RETRY_S") continue;
    EXPECT_EQ(loaded.value().*i.field, d.*i.field) << i.name;
  }
  EXPECT_EQ(loaded.value().retry_s, 7);
}

TEST(LoadConfig, ANonNumericIntegerNamesTheVariableAndItsRange) {
  EXPECT_EQ(Error({{"RETRY_S", "abc"}}),
            "config: RETRY_S=abc: not an integer in [1, 3600]");
  for (const IntCase& i : kInts) {
    for (const char* bad :
         {"abc", "12abc", "1.5", "0x10", "99999999999999999999"}) {
      EXPECT_EQ(Error({{i.name, bad}}), RangeError(i, bad));
    }
  }
}

TEST(LoadConfig, AnIntegerOutsideItsRangeNamesTheVariableAndItsRange) {
  for (const IntCase& i : kInts) {
    const std::string below = std::to_string(static_cast<long>(i.min) - 1);
    const std::string above = std::to_string(static_cast<long>(i.max) + 1);
    EXPECT_EQ(Error({{i.name, below}}), RangeError(i, below));
    EXPECT_EQ(Error({{i.name, above}}), RangeError(i, above));
  }
}

TEST(LoadConfig, ScryptLog2NTakes4To20) {
  for (const char* ok : {"4", "10", "17", "20"}) {
    Result<Config> loaded = Load({{"SCRYPT_LOG2_N", ok}});
    ASSERT_OK(loaded) << ok;
    EXPECT_EQ(loaded.value().scrypt_log2_n, std::stoi(ok));
  }
  EXPECT_EQ(Error({{"SCRYPT_LOG2_N", "3"}}),
            "config: SCRYPT_LOG2_N=3: not an integer in [4, 20]");
  EXPECT_EQ(Error({{"SCRYPT_LOG2_N", "21"}}),
            "config: SCRYPT_LOG2_N=21: not an integer in [4, 20]");
}

TEST(LoadConfig, SqliteSyncIsFullUnlessNormalIsAskedFor) {
  ASSERT_OK(Load({}));
  EXPECT_TRUE(Load({}).value().sqlite_sync_full);
  EXPECT_TRUE(Load({{"SQLITE_SYNC", "full"}}).value().sqlite_sync_full);
  EXPECT_FALSE(Load({{"SQLITE_SYNC", "normal"}}).value().sqlite_sync_full);
  EXPECT_EQ(Error({{"SQLITE_SYNC", "off"}}),
            "config: SQLITE_SYNC=off: not one of full, normal");
}

TEST(LoadConfig, SmtpTlsTakesTryRequiredOrOff) {
  const std::pair<const char*, SmtpTls> table[] = {
      {"try", SmtpTls::kTry},
      {"required", SmtpTls::kRequired},
      {"off", SmtpTls::kOff}};
  for (const auto& [text, tls] : table) {
    Result<Config> loaded = Load({{"SMTP_TLS", text}});
    ASSERT_OK(loaded) << text;
    EXPECT_EQ(loaded.value().smtp_tls, tls) << text;
  }
  EXPECT_EQ(Error({{"SMTP_TLS", "yes"}}),
            "config: SMTP_TLS=yes: not one of try, required, off");
  EXPECT_EQ(Error({{"SMTP_TLS", "Required"}}),
            "config: SMTP_TLS=Required: not one of try, required, off");
}

TEST(LoadConfig, SmtpUrlMustBeSmtpOrSmtps) {
  Result<Config> plain = Load({{"SMTP_URL", "smtp://mail.example:25"}});
  ASSERT_OK(plain);
  EXPECT_EQ(plain.value().smtp_url, "smtp://mail.example:25");
  Result<Config> tls = Load({{"SMTP_URL", "smtps://mail.example:465"}});
  ASSERT_OK(tls);
  EXPECT_EQ(tls.value().smtp_url, "smtps://mail.example:465");

  Result<Config> slash = Load({{"SMTP_URL", "smtp://mail.example:25/"}});
  ASSERT_OK(slash);
  EXPECT_EQ(slash.value().smtp_url, "smtp://mail.example:25");

  const std::string error = Error({{"SMTP_URL", "http://mail.example"}});
  EXPECT_EQ(error.rfind("config: SMTP_URL=http://mail.example: ", 0), 0u)
      << error;
  EXPECT_NE(Error({{"SMTP_URL", "mail.example:25"}}).find("SMTP_URL"),
            std::string::npos);
}

TEST(LoadConfig, BaseUrlLosesItsTrailingSlashes) {
  Result<Config> one = Load({{"BASE_URL", "https://example.com/"}});
  ASSERT_OK(one);
  EXPECT_EQ(one.value().base_url, "https://example.com");
  Result<Config> many = Load({{"BASE_URL", "https://example.com/app///"}});
  ASSERT_OK(many);
  EXPECT_EQ(many.value().base_url, "https://example.com/app");
  Result<Config> none = Load({{"BASE_URL", "http://127.0.0.1:8080"}});
  ASSERT_OK(none);
  EXPECT_EQ(none.value().base_url, "http://127.0.0.1:8080");
}

TEST(LoadConfig, BaseUrlMustBeHttpOrHttps) {
  EXPECT_NE(Error({{"BASE_URL", "ftp://example.com"}}).find("BASE_URL"),
            std::string::npos);
}

TEST(LoadConfig, StringVariablesAreCopied) {
  Result<Config> loaded =
      Load({{"DATA_DIR", "/var/lib/reg"},
            {"INTERNAL_URL", "http://127.0.0.1:9/internal/mail"},
            {"SMTP_USER", "user"},
            {"SMTP_PASSWORD", "p@ss word"},
            {"MAIL_FROM", "reg@example.com"}});
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded.value().data_dir, "/var/lib/reg");
  EXPECT_EQ(loaded.value().internal_url, "http://127.0.0.1:9/internal/mail");
  EXPECT_EQ(loaded.value().smtp_user, "user");
  EXPECT_EQ(loaded.value().smtp_password, "p@ss word");
  EXPECT_EQ(loaded.value().mail_from, "reg@example.com");
  EXPECT_EQ(DatabasePath(loaded.value()), "/var/lib/reg/registrar.db");
  EXPECT_EQ(SecretPath(loaded.value()), "/var/lib/reg/job.secret");
}

TEST(LoadConfig, SeveralHostsShareADatabaseUrlAndASecretFile) {
  Result<Config> loaded =
      Load({{"DATA_DIR", "/var/lib/reg"},
            {"DATABASE_URL", "postgresql://reg@db.internal/reg"},
            {"JOB_SECRET_FILE", "/etc/registrar/job.secret"}});
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded.value().database_url, "postgresql://reg@db.internal/reg");
  EXPECT_EQ(SecretPath(loaded.value()), "/etc/registrar/job.secret");
}

TEST(LoadConfig, AControlCharacterInAStringVariableIsRefusedWithoutEchoingIt) {
  for (const char* name :
       {"DATA_DIR", "BASE_URL", "INTERNAL_URL", "SMTP_URL", "SMTP_USER",
        "SMTP_PASSWORD", "MAIL_FROM", "SMTP_HELO", "SMTP_CA_FILE"}) {
    for (const char* value : {"smtp://a\r\nb", "smtp://a\tb", "smtp://a\x7f"}) {
      const std::string error = Error({{name, value}});
      EXPECT_EQ(error.rfind(std::string("config: ") + name + "=", 0), 0u)
          << error;
      EXPECT_NE(error.find("control character"), std::string::npos) << error;
      EXPECT_EQ(error.find("smtp://a"), std::string::npos) << error;
    }
  }
}

TEST(LoadConfig, SmtpTlsDefaultsToRequiredExceptForALoopbackHost) {
  for (const char* url : {"smtp://mail.example.com:587", "smtp://192.0.2.7",
                          "smtp://[2001:db8::1]:25"}) {
    Result<Config> c = Load({{"SMTP_URL", url}});
    ASSERT_OK(c) << url;
    EXPECT_EQ(c.value().smtp_tls, SmtpTls::kRequired) << url;
  }
  for (const char* url : {"smtp://127.0.0.1:2525", "smtp://localhost:25",
                          "smtp://[::1]:25", "smtp://127.0.0.2"}) {
    Result<Config> c = Load({{"SMTP_URL", url}});
    ASSERT_OK(c) << url;
    EXPECT_EQ(c.value().smtp_tls, SmtpTls::kTry) << url;
  }
  Result<Config> off =
      Load({{"SMTP_URL", "smtp://mail.example.com"}, {"SMTP_TLS", "off"}});
  ASSERT_OK(off);
  EXPECT_EQ(off.value().smtp_tls, SmtpTls::kOff);
}

TEST(LoadConfig, CredentialsWithoutTlsToAnotherHostStopTheStart) {
  for (const char* tls : {"off", "try"}) {
    const std::string error = Error({{"SMTP_URL", "smtp://mail.example.com"},
                                     {"SMTP_TLS", tls},
                                     {"SMTP_USER", "reg"},
                                     {"SMTP_PASSWORD", "secret"}});
    EXPECT_EQ(error.rfind("config: SMTP_USER=reg: ", 0), 0u) << error;
    EXPECT_NE(error.find("without TLS to mail.example.com"), std::string::npos)
        << error;
    EXPECT_EQ(error.find("secret"), std::string::npos) << error;
  }
  EXPECT_OK(Load({{"SMTP_URL", "smtp://mail.example.com"},
                  {"SMTP_USER", "reg"}}));  // required by default
  EXPECT_OK(Load({{"SMTP_URL", "smtps://mail.example.com"},
                  {"SMTP_TLS", "off"},
                  {"SMTP_USER", "reg"}}));
  EXPECT_OK(Load({{"SMTP_URL", "smtp://127.0.0.1:2525"},
                  {"SMTP_TLS", "off"},
                  {"SMTP_USER", "reg"}}));
}

TEST(LoadConfig, AWebhookUrlInClearToAnotherHostStopsTheStart) {
  for (const char* url :
       {"http://app.example.com/hooks", "http://192.0.2.7:8080/hooks",
        "http://[2001:db8::1]/hooks", "http://user@app.example.com/hooks"}) {
    const std::string error = Error({{"WEBHOOK_URL", url}});
    EXPECT_EQ(error.rfind(std::string("config: WEBHOOK_URL=") + url + ": ", 0),
              0u)
        << error;
    EXPECT_NE(error.find("without TLS"), std::string::npos) << error;
  }
  for (const char* url :
       {"https://app.example.com/hooks", "http://127.0.0.1:9000/events",
        "http://localhost/events", "http://[::1]:9/e"}) {
    Result<Config> c = Load({{"WEBHOOK_URL", url}});
    ASSERT_OK(c) << url;
    EXPECT_EQ(c.value().webhook_url, url);
  }
}

TEST(LoadConfig, MailFromTakesADisplayNameAndKeepsTheAddressApart) {
  Result<Config> named =
      Load({{"MAIL_FROM", "Example <no-reply@example.com>"}});
  ASSERT_OK(named);
  EXPECT_EQ(named.value().mail_from, "no-reply@example.com");
  EXPECT_EQ(named.value().mail_from_name, "Example");
  Result<Config> bare = Load({{"MAIL_FROM", "no-reply@example.com"}});
  ASSERT_OK(bare);
  EXPECT_EQ(bare.value().mail_from, "no-reply@example.com");
  EXPECT_EQ(bare.value().mail_from_name, "");
}

TEST(LoadConfig, ABadMailFromStopsTheStartNamingIt) {
  for (const char* bad : {"Example", "Example <no-reply>", "a@b@example.com",
                          "Example no-reply@example.com", "<a@example.com",
                          "z\xC3\xB6@example.com", "a@exa_mple.com"}) {
    const std::string error = Error({{"MAIL_FROM", bad}});
    EXPECT_EQ(error.rfind(std::string("config: MAIL_FROM=") + bad + ": ", 0),
              0u)
        << error;
  }
}

TEST(LoadConfig, SmtpHeloTakesANameOrAnAddressAndWritesAnAddressAsALiteral) {
  const std::pair<const char*, const char*> table[] = {
      {"mail.example.com", "mail.example.com"},
      {"192.0.2.1", "[192.0.2.1]"},
      {"[192.0.2.1]", "[192.0.2.1]"},
      {"2001:db8::1", "[IPv6:2001:db8::1]"},
      {"[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"},
  };
  for (const auto& [given, sent] : table) {
    Result<Config> c = Load({{"SMTP_HELO", given}});
    ASSERT_OK(c) << given;
    EXPECT_EQ(c.value().smtp_helo, sent);
  }
  for (const char* bad : {"bad name", "-x.example", "[999.1.1.1]", "a_b.c"}) {
    const std::string error = Error({{"SMTP_HELO", bad}});
    EXPECT_EQ(error.rfind(std::string("config: SMTP_HELO=") + bad + ": ", 0),
              0u)
        << error;
  }
}

TEST(LoadConfig, AnUnsetSmtpHeloIsTheDefaultEhloName) {
  Result<Config> c = Load({});
  ASSERT_OK(c);
  EXPECT_EQ(c.value().smtp_helo,
            DefaultEhloName(HostFqdn(), "http://127.0.0.1:8080"));
  EXPECT_FALSE(c.value().smtp_helo.empty());
  // BASE_URL as completed: without its trailing slash.
  c = Load({{"BASE_URL", "https://reg.example.com/"}});
  ASSERT_OK(c);
  EXPECT_EQ(c.value().smtp_helo,
            DefaultEhloName(HostFqdn(), "https://reg.example.com"));
}

TEST(LoadConfig, AnSmtpCaFileThatCannotBeReadIsRefused) {
  EXPECT_EQ(Error({{"SMTP_CA_FILE", "/nonexistent/ca.pem"}}),
            "config: SMTP_CA_FILE=/nonexistent/ca.pem: No such file or "
            "directory");
  char dir[] = "/tmp/config_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string ca = std::string(dir) + "/ca.pem";
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  Result<Config> c = Load({{"SMTP_CA_FILE", ca}});
  EXPECT_OK(c);
  if (c.ok()) {
    EXPECT_EQ(c.value().smtp_ca_file, ca);
  }
  std::filesystem::remove_all(dir);
}

TEST(ConfigWarnings, WarnsOfAScryptCostBelow14) {
  Result<Config> c = Load({{"SCRYPT_LOG2_N", "13"}});
  ASSERT_OK(c);
  EXPECT_THAT(ConfigWarnings(c.value()),
              ::testing::ElementsAre(
                  "warning: SCRYPT_LOG2_N=13 is below 14: passwords are "
                  "weakly hashed (meant for tests and benchmarks only)"));
  c = Load({{"SCRYPT_LOG2_N", "14"}});
  ASSERT_OK(c);
  EXPECT_THAT(ConfigWarnings(c.value()), ::testing::IsEmpty());
}

TEST(ConfigWarnings, WarnsWhenUnverifiedMailsGoWithinAWeek) {
  Result<Config> c =
      Load({{"TOKEN_TTL_S", "86400"}, {"RETAIN_UNVERIFIED_S", "3600"}});
  ASSERT_OK(c);
  EXPECT_THAT(ConfigWarnings(c.value()),
              ::testing::ElementsAre(
                  "warning: TOKEN_TTL_S + RETAIN_UNVERIFIED_S = 90000 s is "
                  "below 7 days: an unverified account's mails may be "
                  "deleted before MAIL_CAP has counted them for a day or a "
                  "bounce about them has come back (meant for tests only)"));
  c = Load({{"TOKEN_TTL_S", "86400"}, {"RETAIN_UNVERIFIED_S", "518400"}});
  ASSERT_OK(c);
  EXPECT_THAT(ConfigWarnings(c.value()), ::testing::IsEmpty());
}

TEST(ConfigWarnings, HoldsTheMailWarnings) {
  Result<Config> c = Load({{"SMTP_URL", "smtps://mail.example.com"}});
  ASSERT_OK(c);
  EXPECT_FALSE(MailWarnings(c.value()).empty());
  EXPECT_EQ(ConfigWarnings(c.value()), MailWarnings(c.value()));
}

TEST(ConfigBounceAddress, TakesABareAsciiAddressWithoutPlus) {
  Result<Config> c = Load({{"BOUNCE_ADDRESS", "bounces@example.com"}});
  ASSERT_OK(c);
  EXPECT_EQ(c.value().bounce_address, "bounces@example.com");
  EXPECT_EQ(c.value().suppress_s, 30 * 86400);
  for (const char* bad : {"bounces+x@example.com", "Bounces <b@example.com>",
                          "b\xC3\xA9@example.com", "bounces"}) {
    EXPECT_THAT(Error({{"BOUNCE_ADDRESS", bad}}),
                ::testing::HasSubstr("not a bare ASCII address without '+'"))
        << bad;
  }
}

TEST(ConfigBounceAddress, WarnsWhenOutsideMailFromsDomain) {
  Result<Config> c = Load({{"MAIL_FROM", "no-reply@example.com"},
                           {"BOUNCE_ADDRESS", "bounces@mail.example.com"}});
  ASSERT_OK(c);
  EXPECT_THAT(ConfigWarnings(c.value()), ::testing::IsEmpty());
  c = Load({{"MAIL_FROM", "no-reply@example.com"},
            {"BOUNCE_ADDRESS", "bounces@example.net"}});
  ASSERT_OK(c);
  EXPECT_THAT(ConfigWarnings(c.value()),
              ::testing::ElementsAre(::testing::StartsWith(
                  "warning: BOUNCE_ADDRESS=bounces@example.net: outside "
                  "MAIL_FROM's domain example.com")));
}

// --- LoadWorkerConfig: the environment, then ENV_FILE -------------------

// LoadWorkerConfig with "env" as the process environment and a file of
// "file_text" ("" for no file at all); "*log_file" gets its LOG_FILE.
Result<Config> LoadWorker(const Env& env, const std::string& file_text,
                          std::string* log_file) {
  TempDir dir;
  const std::string path = file_text.empty() ? "" : dir.File("registrar.env");
  if (!path.empty()) std::ofstream(path) << file_text;
  return LoadWorkerConfig(
      [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      path, log_file);
}

TEST(LoadWorkerConfig, TakesTheEnvironmentFirstThenTheFile) {
  std::string log_file;
  Result<Config> c = LoadWorker(
      {{"RETRY_S", "7"}, {"LOG_FILE", "/var/log/env.log"}},
      "RETRY_S=9\nSWEEP_S=11\nLOG_FILE=/var/log/file.log\n", &log_file);
  ASSERT_OK(c);
  EXPECT_EQ(c.value().retry_s, 7);
  EXPECT_EQ(c.value().sweep_s, 11);
  EXPECT_EQ(c.value().log_file, "/var/log/env.log");
  EXPECT_EQ(log_file, "/var/log/env.log");
  c = LoadWorker({}, "LOG_FILE=/var/log/file.log\n", &log_file);
  ASSERT_OK(c);
  EXPECT_EQ(log_file, "/var/log/file.log");
  c = LoadWorker({{"SWEEP_S", "5"}}, "", &log_file);  // no file
  ASSERT_OK(c);
  EXPECT_EQ(c.value().sweep_s, 5);
  EXPECT_EQ(log_file, "");
}

// What stops a start is a setting (kInvalidArgument: the workers exit 2),
// and LOG_FILE is known all the same, so that the log says why.
TEST(LoadWorkerConfig,
     AFileThatCannotBeReadIsABadSettingAndLogFileStillCounts) {
  std::string log_file = "stale";
  Result<Config> c = LoadWorkerConfig(
      [](const char* name) -> const char* {
        return std::string(name) == "LOG_FILE" ? "/var/log/env.log" : nullptr;
      },
      "/nonexistent/registrar.env", &log_file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "/nonexistent/registrar.env: cannot be read");
  EXPECT_EQ(log_file, "/var/log/env.log");
}

TEST(LoadWorkerConfig, ALineThatIsNotASettingOrABadValueStopsTheStart) {
  std::string log_file;
  Result<Config> c =
      LoadWorker({}, "LOG_FILE=/var/log/file.log\nnot a setting\n", &log_file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(), ::testing::EndsWith(":2: not KEY=VALUE"));
  EXPECT_EQ(log_file, "");  // a file that does not parse is not used
  c = LoadWorker({}, "LOG_FILE=/var/log/file.log\nSMTP_URL=ftp://nowhere\n",
                 &log_file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              ::testing::StartsWith("config: SMTP_URL=ftp://nowhere: "));
  EXPECT_EQ(log_file, "/var/log/file.log");
}

}  // namespace
}  // namespace reg
