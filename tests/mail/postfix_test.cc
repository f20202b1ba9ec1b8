// The mail as a real mail server takes it: a private Debian Postfix
// (tools/test_postfix.sh) with STARTTLS on a certificate made for the test,
// reject_non_fqdn_helo_hostname on, SMTPUTF8 on or off, delivering into a
// Maildir the test reads; its log must hold no warning. Run once by `make
// test` as its own phase (needs root: Postfix starts as root).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "integration/stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const char kPassword[] = "correct horse battery";

// One private Postfix instance in a temp dir; stopped and removed after.
class Postfix {
 public:
  explicit Postfix(bool smtputf8) : dir_(MakeTempDir()), port_(FreePort()) {
    const std::string cmd = RepoRoot() + "/tools/test_postfix.sh start " +
                            dir_ + " " + std::to_string(port_) +
                            (smtputf8 ? " yes" : " no") + " >" + dir_ +
                            "/start.out 2>&1";
    started_ = std::system(cmd.c_str()) == 0;
  }
  ~Postfix() {
    const std::string cmd =
        RepoRoot() + "/tools/test_postfix.sh stop " + dir_ + " >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  bool started() const { return started_; }
  const std::string& dir() const { return dir_; }
  std::string StartOutput() const { return ReadFile(dir_ + "/start.out"); }
  std::string url() const {
    return "smtp://127.0.0.1:" + std::to_string(port_);
  }
  std::string ca_file() const { return dir_ + "/tls/ca.pem"; }
  std::string Log() const { return ReadFile(dir_ + "/maillog"); }
  // What the alias "bounces" pipes each notification into.
  void SetBounceCommand(const std::string& command) const {
    const std::string script = dir_ + "/bounce.sh";
    WriteFileAtomic(script, "#!/bin/sh\nexec " + command + "\n");
    chmod(script.c_str(), 0755);
  }
  // Delivers the deferred mail now (postqueue -f).
  void Flush() const {
    const std::string cmd =
        "postqueue -c " + dir_ + "/etc -f >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
  }
  // Every delivered message, as Postfix wrote it (LF line ends).
  std::vector<std::string> Mails() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(dir_ + "/mail/inbox/new", ec)) {
      names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> mails;
    for (const std::string& n : names) mails.push_back(ReadFile(n));
    return mails;
  }

 private:
  std::string dir_;
  int port_;
  bool started_ = false;
};

// A header's value with its folded lines joined, "" if absent.
std::string Header(const std::string& mail, const std::string& name) {
  std::istringstream in(mail);
  std::string line, value;
  bool in_it = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (in_it && (line[0] == ' ' || line[0] == '\t')) {
      value += " " + line.substr(line.find_first_not_of(" \t"));
      continue;
    }
    if (in_it) return value;
    if (line.compare(0, name.size() + 2, name + ": ") == 0) {
      in_it = true;
      value = line.substr(name.size() + 2);
    }
  }
  return value;
}

// The one mail to "to", "" unless exactly one arrived within the deadline.
std::string OneMailTo(const Postfix& postfix, const std::string& to) {
  std::vector<std::string> found;
  WaitFor([&] {
    found.clear();
    for (const std::string& m : postfix.Mails()) {
      if (Header(m, "To") == to) found.push_back(m);
    }
    return !found.empty();
  });
  return found.size() == 1 ? found[0] : std::string();
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    n++;
  }
  return n;
}

// Lines of Postfix's log that are warnings or refusals, but for those about
// the machine's own clock: cleanup(8) warns "file system clock is 1
// seconds ahead of local clock" (then "resetting file time stamps") when a
// queue file's time stamp runs ahead of the clock, as it did once on a
// loaded 2-core machine. That says nothing of our sessions.
std::string Complaints(const std::string& log) {
  std::istringstream in(log);
  std::string line, out;
  while (std::getline(in, line)) {
    const bool clock =
        line.find("file system clock is") != std::string::npos ||
        line.find("resetting file time stamps") != std::string::npos;
    if (!clock && (line.find("warning:") != std::string::npos ||
                   line.find("reject:") != std::string::npos ||
                   line.find("fatal:") != std::string::npos)) {
      out += line + "\n";
    }
  }
  return out;
}

std::string JobColumn(const Stack& stack, const std::string& column,
                      const std::string& email) {
  auto rows = stack.Query("SELECT " + column + " FROM outbox WHERE id = " +
                          std::to_string(stack.JobIdFor(email)));
  return rows.empty() ? "" : rows[0];
}

// What an operator with a real relay sets, pointed at the test's Postfix;
// proxy variables name a dead port, so a handle that used them would fail,
// and the sweep is far off, so only the post after the answer sends.
std::map<std::string, std::string> RelayEnv(const Postfix& postfix) {
  return {
      {"SMTP_URL", postfix.url()},
      {"SMTP_TLS", "required"},
      {"SMTP_CA_FILE", postfix.ca_file()},
      {"SMTP_HELO", "reg.example.com"},
      {"MAIL_FROM", "Caf\xC3\xA9 Example <no-reply@example.com>"},
      {"BOUNCE_ADDRESS", "bounces@mail.test"},
      {"BASE_URL", "https://reg.example.com"},
      {"SMTP_IDLE_S", "2"},
      {"SWEEP_S", "3600"},
      {"http_proxy", "http://127.0.0.1:9"},
      {"HTTPS_PROXY", "http://127.0.0.1:9"},
      {"smtp_proxy", "http://127.0.0.1:9"},
      {"ALL_PROXY", "http://127.0.0.1:9"},
  };
}

class PostfixSuite : public ::testing::Test {
 protected:
  static void Start(bool smtputf8) {
    if (geteuid() != 0) GTEST_SKIP() << "Postfix starts as root only";
    postfix_ = new Postfix(smtputf8);
    ASSERT_TRUE(postfix_->started()) << postfix_->StartOutput();
    stack_ = new Stack(RelayEnv(*postfix_), nullptr);
    ASSERT_TRUE(stack_->running()) << stack_->Output();
    // Postfix's local(8) runs the alias pipe as nobody, the user the
    // stack's workers run as here (tools/stack), as the service's user
    // would be (README "Bounces"). It reaches the data through a link the
    // test can take away.
    ASSERT_TRUE(LinkData(true));
    postfix_->SetBounceCommand(RegctlPath() + " -d " + DataLink() + " bounce");
  }
  static std::string RegctlPath() {
    const char* build = std::getenv("REGISTRAR_BUILD");
    return RepoRoot() + "/" + (build != nullptr ? build : "build") + "/regctl";
  }
  static std::string DataLink() { return postfix_->dir() + "/data-link"; }
  // The link to the stack's data there or not.
  static bool LinkData(bool there) {
    if (!there) return unlink(DataLink().c_str()) == 0;
    return symlink(stack_->data_dir().c_str(), DataLink().c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (stack_ != nullptr) {
      EXPECT_TRUE(stack_->Stop());
    }
    delete stack_;
    delete postfix_;
    stack_ = nullptr;
    postfix_ = nullptr;
  }
  void SetUp() override {
    if (postfix_ == nullptr || stack_ == nullptr || !stack_->running())
      GTEST_SKIP() << "no Postfix or no stack";
  }
  static Postfix* postfix_;
  static Stack* stack_;
};
Postfix* PostfixSuite::postfix_ = nullptr;
Stack* PostfixSuite::stack_ = nullptr;

class PostfixTest : public PostfixSuite {
 protected:
  static void SetUpTestSuite() { Start(true); }
};

TEST_F(PostfixTest, AMailArrivesOverTlsFromTheNamedHostWithEveryHeader) {
  ASSERT_EQ(stack_->Register("ann@example.com", kPassword).status, 202);
  const std::string mail = OneMailTo(*postfix_, "ann@example.com");
  ASSERT_NE(mail, "") << postfix_->Log();
  // Postfix's own Received line: the EHLO name, TLS, no SMTPUTF8.
  const std::string received = Header(mail, "Received");
  EXPECT_THAT(received, StartsWith("from reg.example.com ")) << received;
  EXPECT_THAT(received, HasSubstr("using TLSv1.3")) << received;
  EXPECT_THAT(received, HasSubstr("with ESMTPS ")) << received;
  // The envelope sender is BOUNCE_ADDRESS with the job's tag; From stays.
  EXPECT_THAT(Header(mail, "Return-Path"), StartsWith("<bounces+j"));
  EXPECT_THAT(Header(mail, "Return-Path"), EndsWith("@mail.test>"));
  // "Café Example", RFC 2047 encoded.
  EXPECT_EQ(Header(mail, "From"),
            "=?UTF-8?B?Q2Fmw6kgRXhhbXBsZQ==?= <no-reply@example.com>");
  EXPECT_THAT(Header(mail, "Message-ID"), EndsWith("@example.com>"));
  EXPECT_EQ(Header(mail, "Auto-Submitted"), "auto-generated");
  EXPECT_EQ(Header(mail, "X-Auto-Response-Suppress"), "All");
  EXPECT_THAT(LinkIn(mail), StartsWith("https://reg.example.com/activate?"));
}

// GET /register/status?r=R's body for the accepted answer "r".
std::string StatusOf(const Stack& stack, const HttpResponse& r) {
  return stack.Get("/register/status?r=" + AcceptedReceipt(r.body)).body;
}

TEST_F(PostfixTest, ABouncedAddressShowsBouncedThenGetsNoMailUntilUnsuppressed) {
  const std::string to = "ghost@nosuch.test";
  const HttpResponse first = stack_->Register(to, kPassword);
  ASSERT_EQ(first.status, 202);
  // Postfix takes it, bounces it (5.1.1), and its notification comes back
  // through the alias into regctl bounce.
  std::string status;
  EXPECT_TRUE(WaitFor([&] {
    status = StatusOf(*stack_, first);
    return status.find("\"bounced\"") != std::string::npos;
  })) << status << "\n" << postfix_->Log();
  EXPECT_THAT(status, HasSubstr("\"detail\":\"5.1.1\""));
  EXPECT_EQ(stack_->Metric("mail_bounced_total"), 1);
  EXPECT_EQ(stack_->Metric("addresses_suppressed"), 1);
  EXPECT_THAT(Regctl(*stack_, "suppressions"), HasSubstr(to));

  // The next request is answered as usual and sends nothing.
  const long long first_job = stack_->JobIdFor(to);
  const HttpResponse second = stack_->Register(to, kPassword);
  ASSERT_EQ(second.status, 202);
  EXPECT_THAT(StatusOf(*stack_, second),
              HasSubstr("\"state\":\"not_sent\""));
  EXPECT_THAT(StatusOf(*stack_, second), HasSubstr("\"detail\":\"suppressed\""));
  EXPECT_EQ(stack_->JobIdFor(to), first_job);
  EXPECT_EQ(stack_->Metric("mail_suppressed_total"), 1);

  // regctl unsuppress lets the next one through.
  EXPECT_THAT(Regctl(*stack_, "unsuppress " + to),
              HasSubstr("no longer suppressed"));
  const HttpResponse third = stack_->Register(to, kPassword);
  ASSERT_EQ(third.status, 202);
  EXPECT_GT(stack_->JobIdFor(to), first_job);
  EXPECT_THAT(StatusOf(*stack_, third), Not(HasSubstr("not_sent")));
  // Its own bounce comes back too (the address still does not exist).
  EXPECT_TRUE(WaitFor([&] { return stack_->Metric("mail_bounced_total") == 2; }));
}

TEST_F(PostfixTest, ANotificationWhileTheDatabaseIsAwayIsKeptAndRecordedLater) {
  // The data out of the pipe's reach: regctl bounce exits 75, Postfix
  // keeps the notification; once it is back, a flush records it.
  ASSERT_TRUE(LinkData(false));
  const std::string to = "late@nosuch.test";
  const HttpResponse r = stack_->Register(to, kPassword);
  ASSERT_EQ(r.status, 202);
  std::string log;
  EXPECT_TRUE(WaitFor([&] {
    log = postfix_->Log();
    return log.find("status=deferred") != std::string::npos;
  })) << log;
  // regctl bounce's exit 75, with its words (no status code of its own).
  EXPECT_THAT(log, HasSubstr("status=deferred (temporary failure. Command "
                             "output: "));
  EXPECT_THAT(log, HasSubstr("kept for later"));
  EXPECT_THAT(StatusOf(*stack_, r), HasSubstr("\"accepted\""));
  ASSERT_TRUE(LinkData(true));
  postfix_->Flush();
  std::string status;
  EXPECT_TRUE(WaitFor([&] {
    status = StatusOf(*stack_, r);
    return status.find("\"bounced\"") != std::string::npos;
  })) << status << "\n" << postfix_->Log();
}

TEST_F(PostfixTest, ANonAsciiAddressGoesWithSmtputf8AndArrivesWhole) {
  const std::string to = "zo\xC3\xAB@example.com";
  ASSERT_EQ(stack_->Register(to, kPassword).status, 202);
  const std::string mail = OneMailTo(*postfix_, to);
  ASSERT_NE(mail, "") << postfix_->Log();
  EXPECT_THAT(Header(mail, "Received"), HasSubstr("with UTF8SMTPS "));
  EXPECT_THAT(postfix_->Log(), HasSubstr("to=<" + to + ">"));
}

TEST_F(PostfixTest, TheDefaultEhloNamePassesAStrictServer) {
  // No SMTP_HELO and BASE_URL on 127.0.0.1: the host's FQDN, else the
  // literal [127.0.0.1] (a bare IP was refused for good: 504 5.5.2).
  std::map<std::string, std::string> env = RelayEnv(*postfix_);
  env.erase("SMTP_HELO");
  env.erase("BASE_URL");
  Stack plain(env, nullptr);
  ASSERT_TRUE(plain.running()) << plain.Output();
  ASSERT_EQ(plain.Register("carl@example.com", kPassword).status, 202);
  const std::string mail = OneMailTo(*postfix_, "carl@example.com");
  ASSERT_NE(mail, "") << postfix_->Log();
  EXPECT_THAT(Header(mail, "Received"), Not(StartsWith("from 127.0.0.1 ")));
  EXPECT_TRUE(plain.Stop());
}

TEST_F(PostfixTest, AnIdleConnectionIsClosedWithQuitBeforeTheServerTimesOut) {
  ASSERT_EQ(stack_->Register("dora@example.com", kPassword).status, 202);
  ASSERT_NE(OneMailTo(*postfix_, "dora@example.com"), "");
  // SMTP_IDLE_S=2: every session ends, each with our QUIT, long before
  // Postfix's 300 s timeout.
  std::string log;
  EXPECT_TRUE(WaitFor([&] {
    log = postfix_->Log();
    return Count(log, " connect from ") == Count(log, " disconnect from ");
  })) << log;
  EXPECT_EQ(Count(log, " disconnect from "), Count(log, " quit=1 ")) << log;
  EXPECT_EQ(Count(log, "timeout after"), 0) << log;
}

TEST_F(PostfixTest, PostfixLoggedNoWarningAboutOurSessions) {
  const std::string log = postfix_->Log();
  EXPECT_THAT(log, HasSubstr("status=sent"));
  EXPECT_EQ(Complaints(log), "");
}

TEST_F(PostfixTest, TheCertificateMustNameTheHostOfSmtpUrl) {
  // The test's certificate names 127.0.0.1 and mail.test, not localhost:
  // the same server reached as localhost is refused, never sent to. (Last:
  // its broken sessions would spoil the counts above.)
  std::map<std::string, std::string> env = RelayEnv(*postfix_);
  env["SMTP_URL"] = "smtp://localhost:" + postfix_->url().substr(17);
  Stack other(env, nullptr);
  ASSERT_TRUE(other.running()) << other.Output();
  const std::string to = "eve@example.com";
  ASSERT_EQ(other.Register(to, kPassword).status, 202);
  EXPECT_TRUE(WaitFor(
      [&] { return other.Metric("mail_retries_total{reason=\"tls\"}") >= 1; }));
  EXPECT_THAT(JobColumn(other, "last_reply", to),
              HasSubstr("certificate subject name"));
  EXPECT_TRUE(other.Stop());
  for (const std::string& m : postfix_->Mails()) {
    EXPECT_NE(Header(m, "To"), to);
  }
}

// The server's CA in the system's CA folder (/etc/ssl/certs, the built-in
// CA path of Debian's libcurl) for as long as it lives, then gone.
class SystemTrustedCa {
 public:
  explicit SystemTrustedCa(const std::string& pem_file) {
    const std::string hash_out = MakeTempDir() + "/hash";
    const std::string cmd = "openssl x509 -hash -noout -in " + pem_file +
                            " > " + hash_out;
    if (std::system(cmd.c_str()) != 0) return;
    std::string hash = ReadFile(hash_out);
    while (!hash.empty() && hash.back() == '\n') hash.pop_back();
    for (int n = 0; n < 10 && path_.empty(); n++) {
      const std::string p = "/etc/ssl/certs/" + hash + "." + std::to_string(n);
      if (access(p.c_str(), F_OK) != 0) path_ = p;
    }
    if (!path_.empty()) WriteFileAtomic(path_, ReadFile(pem_file));
    if (!path_.empty()) chmod(path_.c_str(), 0644);
  }
  ~SystemTrustedCa() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

TEST_F(PostfixTest, OnlyTheCasOfSmtpCaFileAreTrusted) {
  // SMTP_CA_FILE names another CA; the server's CA is one the system
  // trusts: the server is refused, never sent to. (Last, as above.)
  const std::string dir = MakeTempDir();
  chmod(dir.c_str(), 0755);
  const std::string other_ca = dir + "/other-ca.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj '/CN=Another Test CA' -keyout " + dir +
      "/other-ca.key -out " + other_ca + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  chmod(other_ca.c_str(), 0644);
  SystemTrustedCa trusted(postfix_->ca_file());
  ASSERT_TRUE(trusted.ok());
  std::map<std::string, std::string> env = RelayEnv(*postfix_);
  env["SMTP_CA_FILE"] = other_ca;
  Stack other(env, nullptr);
  ASSERT_TRUE(other.running()) << other.Output();
  const std::string to = "mallory@example.com";
  ASSERT_EQ(other.Register(to, kPassword).status, 202);
  EXPECT_TRUE(WaitFor(
      [&] { return other.Metric("mail_retries_total{reason=\"tls\"}") >= 1; }))
      << JobColumn(other, "last_reply", to);
  EXPECT_THAT(JobColumn(other, "last_reply", to), HasSubstr("certificate"));
  EXPECT_TRUE(other.Stop());
  for (const std::string& m : postfix_->Mails()) {
    EXPECT_NE(Header(m, "To"), to);
  }
}

class PostfixWithoutSmtputf8Test : public PostfixSuite {
 protected:
  static void SetUpTestSuite() { Start(false); }
};

TEST_F(PostfixWithoutSmtputf8Test, ANonAsciiAddressFailsForGoodUnsent) {
  const std::string to = "zo\xC3\xAB@example.com";
  ASSERT_EQ(stack_->Register(to, kPassword).status, 202);
  EXPECT_TRUE(WaitFor([&] {
    return JobColumn(*stack_, "state", to) == "failed";
  })) << JobColumn(*stack_, "state", to);
  EXPECT_THAT(JobColumn(*stack_, "last_reply", to), HasSubstr("SMTPUTF8"));
  EXPECT_EQ(stack_->Metric("mail_failed_total"), 1);
  // An ASCII address still goes, without SMTPUTF8.
  ASSERT_EQ(stack_->Register("bob@example.com", kPassword).status, 202);
  const std::string mail = OneMailTo(*postfix_, "bob@example.com");
  ASSERT_NE(mail, "") << postfix_->Log();
  EXPECT_THAT(Header(mail, "Received"), HasSubstr("with ESMTPS "));
  EXPECT_EQ(postfix_->Mails().size(), 1u);  // nothing mangled arrived
  EXPECT_THAT(postfix_->Log(), Not(HasSubstr("zo??")));
  EXPECT_EQ(Complaints(postfix_->Log()), "");
}

// --- start-up checks (no mail server needed)

std::string WorkerLog(const Stack& stack) {
  return ReadFile(stack.data_dir() + "/registrar.log");
}

TEST(MailSettingsAtStart, ABadMailFromStopsTheWorkersWithALineNamingIt) {
  Stack stack({{"MAIL_FROM", "Example no-reply@example.com"}}, nullptr);
  EXPECT_FALSE(stack.running());
  EXPECT_THAT(WorkerLog(stack),
              HasSubstr("config: MAIL_FROM=Example no-reply@example.com: "));
}

TEST(MailSettingsAtStart, CredentialsInClearToAnotherHostStopTheWorkers) {
  Stack stack({{"SMTP_URL", "smtp://mail.example.com:25"},
               {"SMTP_TLS", "off"},
               {"SMTP_USER", "reg"},
               {"SMTP_PASSWORD", "not-in-the-log"}},
              nullptr);
  EXPECT_FALSE(stack.running());
  const std::string log = WorkerLog(stack);
  EXPECT_THAT(log, HasSubstr("config: SMTP_USER=reg: credentials would cross "
                             "the network without TLS"));
  EXPECT_THAT(log, Not(HasSubstr("not-in-the-log")));
}

TEST(MailSettingsAtStart, LocalSenderAndLinksWithARealRelayAreWarnedAbout) {
  Stack stack({{"SMTP_URL", "smtp://mail.example.com:587"}}, nullptr);
  ASSERT_TRUE(stack.running()) << stack.Output();
  std::string log;
  EXPECT_TRUE(WaitFor([&] {
    log = WorkerLog(stack);
    return log.find("warning: BASE_URL=") != std::string::npos;
  })) << log;
  EXPECT_THAT(log, HasSubstr("warning: MAIL_FROM=no-reply@localhost: "));
  EXPECT_THAT(log, HasSubstr("warning: BASE_URL=http://127.0.0.1:"));
  EXPECT_TRUE(stack.Stop());
}

// --- timeouts by phase, against the project's sink

TEST(SmtpTimeouts, EachReplyGetsSmtpTimeoutSEvenWhenTheWholeSendTakesLonger) {
  // Before: SMTP_TIMEOUT_S bounded the whole send, so 2 x 1.2 s of slow
  // replies against 2 s gave up while the server went on to deliver.
  Running run({{"SMTP_TIMEOUT_S", "2"}, {"RETRY_S", "1"}, {"SWEEP_S", "1"}});
  ASSERT_TRUE(run.stack.running()) << run.stack.Output();
  run.sink.Control(R"({"rcpt_delay_s": 1.2, "data_delay_s": 1.2})");
  ASSERT_EQ(run.stack.Register("slow@example.com", kPassword).status, 202);
  EXPECT_TRUE(WaitFor([&] {
    return JobColumn(run.stack, "state", "slow@example.com") == "sent";
  })) << JobColumn(run.stack, "last_reply", "slow@example.com");
  EXPECT_EQ(JobColumn(run.stack, "attempts", "slow@example.com"), "1");
  EXPECT_EQ(run.sink.MailCount(), 1);
}

TEST(SmtpTimeouts, AReplyLaterThanSmtpTimeoutSIsATimeoutRetriedLater) {
  Running run({{"SMTP_TIMEOUT_S", "1"}, {"RETRY_S", "60"}});
  ASSERT_TRUE(run.stack.running()) << run.stack.Output();
  run.sink.Control(R"({"data_delay_s": 2.5})");
  ASSERT_EQ(run.stack.Register("late@example.com", kPassword).status, 202);
  EXPECT_TRUE(WaitFor([&] {
    return run.stack.Metric("mail_retries_total{reason=\"timeout\"}") >= 1;
  }));
  EXPECT_EQ(JobColumn(run.stack, "state", "late@example.com"), "queued");
}

}  // namespace
}  // namespace reg::testing
