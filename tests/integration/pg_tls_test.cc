// Contract section 7: a DATABASE_URL naming a host other than a loopback
// address or a unix socket must ask for a verified TLS connection. The
// suite's own PostgreSQL (one start for its three tests) serves TLS, with a
// certificate from a CA the test makes, on an address of this machine
// outside 127.0.0.0/8. Run in the PostgreSQL pass.
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "pg_server.h"
#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

// An IPv4 address of an interface of this machine that is up and not
// loopback, "" if there is none.
std::string NonLoopbackAddress() {
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return "";
  std::string found;
  for (ifaddrs* i = all; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const in_addr a = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
    if ((ntohl(a.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &a, text, sizeof text) != nullptr) found = text;
  }
  freeifaddrs(all);
  return found;
}

// Without one, this address on the loopback interface (root only).
constexpr const char* kAddedAddress = "10.203.0.1";

int Sh(const std::string& command) { return std::system(command.c_str()); }

class PgTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = MakeTempDir();
    chmod(dir_.c_str(), 0755);  // the server and the workers read in it
    address_ = NonLoopbackAddress();
    if (address_.empty() && geteuid() == 0 &&
        Sh(std::string("ip addr add ") + kAddedAddress + "/32 dev lo") == 0) {
      address_ = kAddedAddress;
      added_ = true;
    }
    if (address_.empty()) return;
    // Two CAs; the server's certificate (naming the address) from the first.
    const std::string d = dir_ + "/";
    const std::string quiet = " > " + d + "openssl.log 2>&1";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    for (const char* ca : {"ca", "other-ca"}) {
      if (Sh("openssl req -x509 -nodes -days 2" + ec + " -keyout " + d + ca +
             ".key -out " + d + ca + ".pem -subj /CN=" + ca + quiet) != 0)
        return;
    }
    if (Sh("openssl req -nodes" + ec + " -keyout " + d +
           "server.key -out " + d + "server.csr -subj /CN=" + address_ +
           quiet) != 0 ||
        Sh("printf 'subjectAltName=IP:" + address_ + "' > " + d + "san.ext") !=
            0 ||
        Sh("openssl x509 -req -days 2 -in " + d + "server.csr -CA " + d +
           "ca.pem -CAkey " + d + "ca.key -CAcreateserial -extfile " + d +
           "san.ext -out " + d + "server.pem" + quiet) != 0) {
      return;
    }
    chmod((d + "ca.pem").c_str(), 0644);
    chmod((d + "other-ca.pem").c_str(), 0644);
    chmod((d + "server.pem").c_str(), 0644);
    if (geteuid() == 0) Sh("chown postgres " + d + "server.key");
    server_ = new PgServer(PgServerOptions{
        "-c ssl=on -c ssl_cert_file=" + d + "server.pem -c ssl_key_file=" + d +
            "server.key -c listen_addresses=127.0.0.1," + address_,
        "hostssl all all " + address_ + "/32 trust"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (added_) Sh(std::string("ip addr del ") + kAddedAddress + "/32 dev lo");
    added_ = false;
  }
  void SetUp() override {
    ASSERT_FALSE(address_.empty()) << "no address outside 127.0.0.0/8";
    ASSERT_TRUE(server_ != nullptr && server_->ok())
        << "the TLS server did not start: " << dir_;
  }

  // A new database on the TLS server, reached at the non-loopback address,
  // with "query" ("?sslmode=...").
  static std::string Url(const std::string& query) {
    static int n = 0;
    const std::string name = "tls_" + std::to_string(++n);
    if (server_->CreateDatabase(name).empty()) return "";
    return "postgresql://registrar@" + address_ + ":" +
           std::to_string(server_->port()) + "/" + name + query;
  }
  // What a stack that did not start said: its output and its workers' log.
  static std::string Said(const Stack& stack) {
    return stack.Output() + ReadFile(stack.data_dir() + "/registrar.log");
  }

  static std::string dir_;
  static std::string address_;
  static bool added_;
  static PgServer* server_;
};

std::string PgTlsTest::dir_;
std::string PgTlsTest::address_;
bool PgTlsTest::added_ = false;
PgServer* PgTlsTest::server_ = nullptr;

TEST_F(PgTlsTest, VerifiedTlsToARemoteHostStartsAndRegisters) {
  Running run({{"DATABASE_URL", Url("?sslmode=verify-full&sslrootcert=" +
                                    dir_ + "/ca.pem")},
               {"HOME", dir_}});
  ASSERT_TRUE(run.stack.running()) << Said(run.stack);
  EXPECT_EQ(run.stack.Register("tls@example.com", kPassword).status, 202);
  EXPECT_TRUE(WaitFor([&] { return run.sink.MailCount() == 1; }));
  // Every connection to the database is TLS.
  EXPECT_EQ(run.stack.QueryOne(
                "SELECT count(*) FILTER (WHERE NOT s.ssl) || ' ' || "
                "(count(*) > 2)::text FROM pg_stat_ssl s "
                "JOIN pg_stat_activity a USING (pid) "
                "WHERE a.datname = current_database()"),
            "0 true");
  EXPECT_TRUE(run.stack.Stop());
}

TEST_F(PgTlsTest, ACertificateFromAnotherCaStopsTheStartSayingWhy) {
  Stack stack({{"DATABASE_URL", Url("?sslmode=verify-full&sslrootcert=" +
                                    dir_ + "/other-ca.pem")},
               {"HOME", dir_}},
              nullptr);
  EXPECT_FALSE(stack.running());
  EXPECT_NE(Said(stack).find("cannot start: connect to PostgreSQL: "),
            std::string::npos)
      << Said(stack);
  EXPECT_NE(Said(stack).find("certificate verify failed"), std::string::npos)
      << Said(stack);
}

// "binary" of the build (REGISTRAR_BUILD) run with DATABASE_URL="url" and
// "args": its exit status, and its stderr in "*said".
int RunWithUrl(const std::string& binary, const std::string& url,
               const std::string& args, std::string* said) {
  const char* build = std::getenv("REGISTRAR_BUILD");
  const std::string cmd = "DATABASE_URL='" + url + "' " + RepoRoot() + "/" +
                          (build != nullptr ? build : "build") + "/" + binary +
                          " " + args + " 2>&1";
  said->clear();
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) said->append(buf, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(PgTlsTest, NoVerifiedTlsIsRefusedBeforeConnecting) {
  for (const std::string query : {"", "?sslmode=require", "?sslmode=prefer"}) {
    const std::string url = Url(query);
    const std::string why = "DATABASE_URL: host " + address_ +
                            " is neither a loopback address nor a unix socket";
    // The workers stop as for any bad setting (exit 2), before they look
    // for their socket or connect; regctl too.
    std::string said;
    EXPECT_EQ(RunWithUrl("registrar", url, "", &said), 2) << said;
    EXPECT_NE(said.find("cannot start: " + why), std::string::npos) << said;
    EXPECT_NE(RunWithUrl("regctl", url, "-d " + dir_ + " jobs", &said), 0);
    EXPECT_NE(said.find("regctl: " + why), std::string::npos) << said;
  }
}

}  // namespace
}  // namespace reg::testing
