// The trust boundaries a real deployment crosses (issue 12): /internal/ on
// its own listener even behind a proxy, floods and slow clients, the client
// key nginx limits by (IPv6 per /64), the password asked at activation,
// retention of unverified accounts and sent mail bodies.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An nginx the test runs itself: "http" is the body of its http block.
// Waits until "port" answers.
class ScratchNginx {
 public:
  ScratchNginx(const std::string& http, int port) : dir_(MakeTempDir()) {
    mkdir((dir_ + "/tmp").c_str(), 0700);
    std::string conf = geteuid() == 0 ? "user root;\n" : "";
    conf += "worker_processes 1;\npid " + dir_ + "/nginx.pid;\n";
    conf += "error_log " + dir_ + "/error.log warn;\n";
    conf += "events { worker_connections 64; }\nhttp {\n  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
      conf +=
          std::string("  ") + t + "_temp_path " + dir_ + "/tmp/" + t + ";\n";
    conf += http + "}\n";
    std::ofstream(dir_ + "/nginx.conf") << conf;
    pid_ = Spawn({"/usr/sbin/nginx", "-p", dir_, "-e", dir_ + "/error.log",
                  "-c", dir_ + "/nginx.conf", "-g", "daemon off;"},
                 {}, dir_ + "/out.log");
    up_ = WaitFor([&] {
      return Http("GET", "http://127.0.0.1:" + std::to_string(port) + "/")
                 .status != 0;
    });
  }
  ~ScratchNginx() {
    kill(pid_, SIGTERM);
    if (!Reap(pid_, 5000)) {
      kill(pid_, SIGKILL);
      Reap(pid_, 5000);
    }
  }
  bool up() const { return up_; }
  std::string ErrorLog() const { return ReadFile(dir_ + "/error.log"); }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  bool up_ = false;
};

std::vector<std::string> SignedJobHeaders(const Stack& stack,
                                          const std::string& body) {
  const long long now = static_cast<long long>(std::time(nullptr));
  return {"Content-Type: application/json",
          "X-Job-Timestamp: " + std::to_string(now),
          "X-Job-Signature: " + SignJob(stack, now, body)};
}

// --- /internal/ on its own listener -----------------------------------------

// Posts go to a dead port and no sweep runs, so a job stays queued until a
// test posts it.
class InternalListenerTest : public StackSuite {
 protected:
  static void SetUpTestSuite() {
    StartStack(
        {{"INTERNAL_URL",
          "http://127.0.0.1:" + std::to_string(FreePort()) + "/internal/mail"},
         {"SWEEP_S", "3600"}});
  }
};

TEST_F(InternalListenerTest, OnlyTheInternalListenerServesMetrics) {
  HttpResponse internal = Http("GET", stack().InternalUrl("/internal/metrics"));
  EXPECT_EQ(internal.status, 200) << internal.error;
  EXPECT_THAT(internal.body, HasSubstr("registrations_total"));
  // The public listener, from loopback, however the path is written.
  for (const char* path :
       {"/internal/metrics", "//internal/metrics", "/%69nternal/metrics",
        "/static/../internal/metrics", "/internal/mail"}) {
    HttpResponse r = stack().Get(path, {"Registrar-Internal: 1"});
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("registrations_total"))) << path;
  }
  // The internal listener serves nothing else.
  EXPECT_EQ(Http("GET", stack().InternalUrl("/")).status, 404);
  EXPECT_EQ(Http("GET", stack().InternalUrl("/healthz")).status, 404);
}

// The answer's status to a FastCGI GET of "path" sent straight to the
// workers' socket (tests/fcgi_get.py) with the extra parameter "param".
std::string DirectFcgiStatus(const Stack& stack, const std::string& path,
                             const std::string& param) {
  const std::string cmd = "/usr/bin/python3 " + RepoRoot() +
                          "/tests/fcgi_get.py " + stack.data_dir() +
                          "/registrar.sock " + path + " '" + param + "'";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[64];
    while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
    pclose(p);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST_F(InternalListenerTest, AProcessReachingTheWorkersSocketGetsNoInternalRoute) {
  // Anything running as nginx's user can connect to the socket and set
  // any FastCGI parameter; only the internal listener knows the key.
  EXPECT_EQ(DirectFcgiStatus(stack(), "/internal/metrics",
                             "REGISTRAR_INTERNAL=1"),
            "404");
  EXPECT_EQ(DirectFcgiStatus(stack(), "/internal/metrics", "X=1"), "404");
  const std::string key = ReadFile(stack().data_dir() + "/internal.secret");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(DirectFcgiStatus(stack(), "/internal/metrics",
                             "REGISTRAR_INTERNAL=" + key),
            "200");
  // The key is in nginx's include only, mode 0600.
  struct stat st;
  ASSERT_EQ(stat((stack().data_dir() + "/nginx/internal.conf").c_str(), &st),
            0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(InternalListenerTest, AProxyInFrontReachesNeitherMetricsNorJobs) {
  // A reverse proxy on the same host: every visitor it forwards arrives
  // at the public listener from 127.0.0.1.
  const int proxy_port = FreePort();
  ScratchNginx proxy(
      "  server {\n    listen 127.0.0.1:" + std::to_string(proxy_port) +
          ";\n    location / {\n      proxy_pass "
          "http://127.0.0.1:" +
          std::to_string(stack().port()) +
          ";\n      proxy_set_header Host $http_host;\n    }\n"
          "  }\n",
      proxy_port);
  ASSERT_TRUE(proxy.up()) << proxy.ErrorLog();
  const std::string via = "http://127.0.0.1:" + std::to_string(proxy_port);
  ASSERT_EQ(Http("GET", via + "/").status, 200);  // the proxy works

  HttpResponse metrics = Http("GET", via + "/internal/metrics");
  EXPECT_EQ(metrics.status, 404);
  EXPECT_THAT(metrics.body, Not(HasSubstr("registrations_total")));

  const std::string to = "behind-proxy@example.com";
  ASSERT_EQ(stack().Register(to, "a good password").status, 202);
  const long long id = stack().JobIdFor(to);
  ASSERT_GT(id, 0);
  const std::string body = "{\"job_id\":" + std::to_string(id) + "}";
  std::vector<std::string> headers = SignedJobHeaders(stack(), body);
  headers.push_back("Registrar-Internal: 1");
  HttpResponse post = Http("POST", via + "/internal/mail", body, headers);
  EXPECT_EQ(post.status, 404) << post.body;
  EXPECT_EQ(stack().JobState(id), "queued");
  EXPECT_EQ(sink().MailCount(), 0);

  // The same signed post on the internal listener sends it.
  HttpResponse direct = stack().InternalPost("/internal/mail", body,
                                             SignedJobHeaders(stack(), body));
  EXPECT_EQ(direct.status, 202) << direct.body;
  ASSERT_TRUE(WaitFor([&] { return stack().JobState(id) == "sent"; }));
  EXPECT_EQ(sink().MailCount(), 1);
}

// --- the key nginx's limits count a client by -------------------------------

// nginx/client_key.conf in a scratch nginx that takes the client address
// from a header (realip) and answers with the key.
TEST(ClientKey, AnIpv6ClientIsCountedByItsSlash64AndIpv4ByItsAddress) {
  const int port = FreePort();
  ScratchNginx nginx("  include " + RepoRoot() +
                         "/nginx/client_key.conf;\n"
                         "  set_real_ip_from 127.0.0.1;\n"
                         "  real_ip_header X-Real-IP;\n"
                         "  server {\n    listen 127.0.0.1:" +
                         std::to_string(port) +
                         ";\n    location / { return 200 "
                         "\"$registrar_client|$registrar_client_post\"; }\n"
                         "  }\n",
                     port);
  ASSERT_TRUE(nginx.up()) << nginx.ErrorLog();
  auto key = [&](const std::string& addr, const char* method = "GET") {
    HttpResponse r =
        Http(method, "http://127.0.0.1:" + std::to_string(port) + "/", "",
             {"X-Real-IP: " + addr});
    return r.body;
  };
  EXPECT_EQ(key("192.0.2.7"), "192.0.2.7|");
  EXPECT_EQ(key("192.0.2.7", "POST"), "192.0.2.7|192.0.2.7");
  EXPECT_EQ(key("2001:db8:1:2::5"), "2001:db8:1:2::/64|");
  // Addresses of one /64, in every shape nginx writes them.
  const std::vector<std::vector<std::string>> same_64 = {
      {"2001:db8:1:2::5", "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
       "2001:0db8:0001:0002:0:0:0:1", "2001:db8:1:2::"},
      {"2001:db8::1", "2001:db8::ffff:1:2:3", "2001:db8:0:0:1::", "2001:db8::"},
      {"2001:0:0:5:1:2:3:4", "2001:0:0:5:9:9:9:9", "2001::5:0:0:0:1"},
      {"::1", "::2:3:4:5"},
  };
  std::vector<std::string> keys;
  for (const auto& group : same_64) {
    const std::string first = key(group[0]);
    EXPECT_THAT(first, HasSubstr("/64|")) << group[0];
    for (const std::string& addr : group)
      EXPECT_EQ(key(addr), first) << addr << " vs " << group[0];
    keys.push_back(first);
  }
  // Another /64 is another client.
  EXPECT_NE(key("2001:db8:1:3::5"), keys[0]);
  EXPECT_NE(key("2001:0:0:6:1:2:3:4"), keys[2]);
  for (size_t i = 0; i < keys.size(); i++)
    for (size_t j = i + 1; j < keys.size(); j++) EXPECT_NE(keys[i], keys[j]);
}

// --- floods and slow clients -------------------------------------------------

// A raw TCP connection to the public listener.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }
  // Reads until nginx closes the connection, at most "limit"; true when it
  // closed (what it sent before is in *got).
  bool ClosedWithin(std::chrono::seconds limit, std::string* got) {
    timeval tv = {static_cast<time_t>(limit.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto end = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      got->append(buf, static_cast<size_t>(n));
    }
    return false;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Two posts a minute (burst 5), two requests in progress per client (one
// more than a test's request and the one nginx may still be finishing), and
// clients cut off after 2 s of silence.
class FloodTest : public StackSuite {
 protected:
  static void SetUpTestSuite() {
    StartStack(
        {{"RATE_LIMIT", "2"}, {"CONN_LIMIT", "2"}, {"CLIENT_TIMEOUT_S", "2"}});
  }

  // Holds both of this client's request slots (CONN_LIMIT 2) with posts
  // whose bodies never end, in "held"; true once a GET is refused (429).
  // A connection an earlier test's cut-off left in nginx's lingering close
  // may hold a slot a moment more: callers poll it with WaitFor.
  bool HoldBothSlots(std::vector<std::unique_ptr<RawClient>>& held) {
    held.clear();
    for (int i = 0; i < 2; i++) {
      held.push_back(std::make_unique<RawClient>(stack().port()));
      if (!held.back()->connected() ||
          !held.back()->Send(
              "POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              "application/json\r\nContent-Length: 100\r\n\r\n{"))
        return false;
    }
    return WaitFor([&] { return stack().Get("/").status == 429; },
                   std::chrono::milliseconds(500));
  }
};

TEST_F(FloodTest, AClientThatNeverFinishesItsHeadersIsCutOff) {
  RawClient slow(stack().port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  std::string got;
  // nginx's default would hold it for 60 s.
  EXPECT_TRUE(slow.ClosedWithin(std::chrono::seconds(10), &got)) << got;
}

TEST_F(FloodTest, AClientThatNeverFinishesItsBodyIsCutOff) {
  RawClient slow(stack().port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(
      slow.Send("POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                "application/json\r\nContent-Length: 100\r\n\r\n{\"email\""));
  std::string got;
  EXPECT_TRUE(slow.ClosedWithin(std::chrono::seconds(10), &got)) << got;
}

TEST_F(FloodTest, OneClientCannotHoldMoreRequestsThanItsShare) {
  // Requests whose bodies are still coming hold their slots.
  std::vector<std::unique_ptr<RawClient>> held;
  EXPECT_TRUE(WaitFor([&] { return HoldBothSlots(held); },
                      std::chrono::seconds(5)));
  held.clear();  // the slots are free again
  EXPECT_TRUE(WaitFor([&] { return stack().Get("/").status == 200; }));
}

TEST_F(FloodTest, ActivateAndResendPostsShareTheRegistrationRateLimit) {
  const std::string form = "Content-Type: application/x-www-form-urlencoded";
  std::vector<long> statuses;
  for (int i = 0; i < 8; i++)
    statuses.push_back(stack().Post("/activate", "token=x", {form}).status);
  EXPECT_EQ(statuses.back(), 429) << ::testing::PrintToString(statuses);
  EXPECT_EQ(statuses.front(), 404) << ::testing::PrintToString(statuses);
  EXPECT_EQ(
      stack().Post("/register/resend", "email=a%40example.com", {form}).status,
      429);
  // nginx refuses them with the service's page, in the client's language.
  HttpResponse page = stack().Post("/register", "email=a%40example.com",
                                   {form, "Accept-Language: fr, en;q=0.5"});
  EXPECT_EQ(page.status, 429);
  EXPECT_THAT(page.body, HasSubstr("<html lang=\"fr\""));
  EXPECT_THAT(page.body, HasSubstr("Trop de tentatives"));
  HttpResponse json = stack().Post(
      "/register", R"({"email":"a@example.com"})", {kJson});
  EXPECT_EQ(json.status, 429);
  EXPECT_EQ(json.Header("content-type"), "application/json");
  EXPECT_EQ(json.body,
            R"({"error":"Too many tries from your network. Wait a minute, )"
            R"(then try again."})");
  // Opening a link is not a post: mail scanners do it, it changes nothing.
  // (Polled: the request slot of the last 429 may still be closing; a
  // limit_req refusal would last the 30 s until the next token.)
  EXPECT_TRUE(
      WaitFor([&] { return stack().Get("/activate?token=x").status == 404; },
              std::chrono::seconds(3)));
}

TEST_F(FloodTest, NoLinksTokenReachesNginxsErrorLog) {
  // nginx writes the request line, query included, into the error line of
  // a limit_conn refusal and of an upstream error. Opening a link while the
  // client's request slots are full is not refused...
  const std::string refused = "HeldSlotsTokenQ7vXw2mLp9sKd4RtY8bNc3Fh6Jz0aGe1";
  std::vector<std::unique_ptr<RawClient>> held;
  ASSERT_TRUE(WaitFor([&] { return HoldBothSlots(held); },
                      std::chrono::seconds(5)));
  EXPECT_EQ(stack().Get("/activate?token=" + refused).status, 404);
  held.clear();
  // ...and the workers' being down logs no token either.
  const std::string failed = "WorkersDownTokenP3kLm8Qx2Vn7Rt5Yw1Zs4Bd6Hc9Jf0";
  for (pid_t pid : stack().WorkerPids()) kill(pid, SIGKILL);
  EXPECT_TRUE(WaitFor(
      [&] { return stack().Get("/activate?token=" + failed).status == 502; },
      std::chrono::seconds(2)));
  // tools/stack starts the workers again.
  EXPECT_TRUE(
      WaitFor([&] { return stack().Get("/healthz").status == 200; },
              std::chrono::seconds(10)));
  const std::string log = ReadFile(stack().data_dir() + "/nginx/error.log");
  EXPECT_EQ(log.find(refused), std::string::npos) << "limit_conn's line";
  EXPECT_EQ(log.find(failed), std::string::npos) << "the upstream error";
}

// --- POST /activate: the registering browser, or that registration's
// password (CONTRACT section 2) ---------------------------------------------

class ActivatePasswordTest : public StackSuite {
 protected:
  static void SetUpTestSuite() { StartStack(); }
  // Registers "to" and returns the token of its mail; "cookie" (if given)
  // gets the Cookie header the answer's Set-Cookie asks for.
  std::string TokenFor(const std::string& to, const std::string& password,
                       std::string* cookie = nullptr) {
    const int before = sink().MailCount();
    HttpResponse r = stack().Register(to, password);
    EXPECT_EQ(r.status, 202);
    if (cookie != nullptr) {
      const std::string set = r.Header("set-cookie");
      *cookie = "Cookie: " + set.substr(0, set.find(';'));
    }
    EXPECT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
    std::string token;
    for (const std::string& m : sink().Mails())
      if (MailHeader(m, "To") == to) token = TokenIn(m);
    return token;
  }
  std::string Verified(const std::string& to) {
    auto rows = stack().Query(
        "SELECT CASE WHEN verified_ms IS NULL THEN 0 ELSE 1 END FROM users "
        "WHERE email = '" +
        to + "'");
    return rows.empty() ? "" : rows[0];
  }
};

TEST_F(ActivatePasswordTest, TheRegisteringBrowserVerifiesWithOneClick) {
  const std::string to = "asks-cookie@example.com";
  std::string cookie;
  const std::string token = TokenFor(to, "owner secret 0", &cookie);
  ASSERT_FALSE(token.empty());
  HttpResponse page = stack().Get("/activate?token=" + token);
  EXPECT_EQ(page.status, 200);  // one button, no password asked
  EXPECT_THAT(page.body, Not(HasSubstr("type=\"password\"")));
  HttpResponse json = stack().Post("/activate", "{\"token\":\"" + token + "\"}",
                                   {"Content-Type: application/json", cookie});
  EXPECT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(json.body, "{\"status\":\"active\"}");
  EXPECT_EQ(Verified(to), "1");
}

TEST_F(ActivatePasswordTest, AnotherBrowserIsAskedForThatRegistrationsPassword) {
  const std::string to = "asks-wrong@example.com";
  // The cookie of another registration proves nothing for this one.
  std::string other_cookie;
  TokenFor("asks-other@example.com", "other secret", &other_cookie);
  const std::string token = TokenFor(to, "owner secret 2");
  ASSERT_FALSE(token.empty());
  HttpResponse none =
      stack().Post("/activate", "token=" + token, {kForm, other_cookie});
  EXPECT_EQ(none.status, 200);
  EXPECT_THAT(none.body, HasSubstr("enter the password you chose"));
  EXPECT_THAT(none.body, HasSubstr("This link is for a registration made on"));
  EXPECT_THAT(none.body, HasSubstr("Register again with the same address"));
  EXPECT_THAT(none.body, HasSubstr("value=\"" + token + "\""));
  EXPECT_THAT(none.body, HasSubstr("autocomplete=\"current-password\""));
  HttpResponse json_none = stack().Post(
      "/activate", "{\"token\":\"" + token + "\"}",
      {"Content-Type: application/json"});
  EXPECT_EQ(json_none.status, 401);
  EXPECT_EQ(json_none.body, "{\"status\":\"password_required\"}");
  HttpResponse wrong = stack().Post(
      "/activate", "token=" + token + "&password=stranger+secret", {kForm});
  EXPECT_EQ(wrong.status, 200);
  EXPECT_THAT(wrong.body, HasSubstr("That is not the password chosen"));
  EXPECT_THAT(wrong.body, HasSubstr("aria-invalid=\"true\""));
  EXPECT_THAT(wrong.body, Not(HasSubstr("stranger")));  // never echoed
  HttpResponse json = stack().Post(
      "/activate",
      "{\"token\":\"" + token + "\",\"password\":\"stranger secret\"}",
      {"Content-Type: application/json"});
  EXPECT_EQ(json.status, 401);
  EXPECT_EQ(json.body, "{\"status\":\"wrong_password\"}");
  EXPECT_EQ(Verified(to), "0");
  // An unknown link stays 404 whatever the password.
  EXPECT_EQ(stack()
                .Post("/activate",
                      "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&"
                      "password=x",
                      {kForm})
                .status,
            404);
}

TEST_F(ActivatePasswordTest, FiveWrongPasswordsMakeTheLinkGone) {
  const std::string to = "asks-tries@example.com";
  const std::string token = TokenFor(to, "owner secret 4");
  ASSERT_FALSE(token.empty());
  for (int i = 0; i < 5; i++) {
    EXPECT_EQ(stack()
                  .Post("/activate", "token=" + token + "&password=guess+" +
                                         std::to_string(i),
                        {kForm})
                  .status,
              200);
  }
  // Even the right one now: 410.
  EXPECT_EQ(stack()
                .Post("/activate", "token=" + token + "&password=owner+secret+4",
                      {kForm})
                .status,
            410);
  EXPECT_EQ(Verified(to), "0");
}

TEST_F(ActivatePasswordTest, ThePasswordOfThatRegistrationVerifiesTheAccount) {
  const std::string to = "asks-right@example.com";
  const std::string token = TokenFor(to, "owner secret 3");
  ASSERT_FALSE(token.empty());
  HttpResponse ok = stack().Post(
      "/activate", "token=" + token + "&password=owner+secret+3", {kForm});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_THAT(ok.body, HasSubstr("Your email is verified"));
  EXPECT_EQ(Verified(to), "1");
}

TEST_F(ActivatePasswordTest, AResendFromTheRegisteringBrowserIsForItsRegistration) {
  const std::string to = "asks-resend@example.com";
  std::string cookie;
  TokenFor(to, "owner secret 6", &cookie);
  TokenFor(to, "stranger secret 6");  // newer, from another browser
  const int before = sink().MailCount();
  HttpResponse resent = stack().Post(
      "/register/resend", "{\"email\":\"" + to + "\"}",
      {"Content-Type: application/json", cookie});
  ASSERT_EQ(resent.status, 202);
  EXPECT_EQ(resent.Header("set-cookie"), "");
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == before + 1; }));
  const std::string token = TokenIn(sink().Mails().back());
  // The link is for the owner's registration, not the newer stranger's:
  // the stranger's password does not open it...
  HttpResponse stranger = stack().Post(
      "/activate",
      "{\"token\":\"" + token + "\",\"password\":\"stranger secret 6\"}",
      {"Content-Type: application/json"});
  EXPECT_EQ(stranger.status, 401) << stranger.body;
  EXPECT_EQ(Verified(to), "0");
  // ...and the owner's browser verifies it with one click.
  HttpResponse json = stack().Post("/activate", "{\"token\":\"" + token + "\"}",
                                   {"Content-Type: application/json", cookie});
  EXPECT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(Verified(to), "1");
}

TEST_F(ActivatePasswordTest, OnceVerifiedAnotherRegistrationsLinkChangesNothing) {
  const std::string to = "asks-stranger@example.com";
  const std::string stranger = TokenFor(to, "stranger secret");
  std::string cookie;
  const std::string owner = TokenFor(to, "owner secret 5", &cookie);
  ASSERT_EQ(stack()
                .Post("/activate", "token=" + owner, {kForm, cookie})
                .status,
            200);
  const std::string hash = stack().QueryOne(
      "SELECT password_hash FROM users WHERE email = '" + to + "'");
  HttpResponse late = stack().Post(
      "/activate", "token=" + stranger + "&password=stranger+secret", {kForm});
  EXPECT_EQ(late.status, 200);
  EXPECT_THAT(late.body, HasSubstr("already verified"));
  EXPECT_EQ(stack().QueryOne("SELECT password_hash FROM users WHERE email = '" +
                             to + "'"),
            hash);
}

// --- retention ---------------------------------------------------------------

// Links live 2 s; unverified accounts go 1 s after their last link
// expired, sent bodies 1 s after sending; a sweep every second.
class RetentionTest : public StackSuite {
 protected:
  static void SetUpTestSuite() {
    StartStack({{"TOKEN_TTL_S", "2"},
                {"RETAIN_UNVERIFIED_S", "1"},
                {"RETAIN_MAIL_S", "1"},
                {"SWEEP_S", "1"}});
  }
};

TEST_F(RetentionTest, SentBodiesAndUnverifiedAccountsGoVerifiedOnesStay) {
  const std::string kept = "retention-verified@example.com";
  const std::string gone = "retention-unverified@example.com";
  ASSERT_EQ(stack().Register(kept, "a good password").status, 202);
  ASSERT_EQ(stack().Register(gone, "a good password").status, 202);
  ASSERT_TRUE(WaitFor([&] { return sink().MailCount() == 2; }));
  std::string token;
  for (const std::string& m : sink().Mails())
    if (MailHeader(m, "To") == kept) token = TokenIn(m);
  ASSERT_EQ(stack()
                .Post("/activate", "token=" + token + "&password=a+good+password",
                      {kForm})
                .status,
            200);
  const long long kept_job = stack().JobIdFor(kept);

  // The verified account's mail loses its body; row and history stay.
  ASSERT_TRUE(WaitFor([&] {
    return stack().Query(
               "SELECT count(*) FROM outbox_messages WHERE job_id = " +
               std::to_string(kept_job)) == std::vector<std::string>{"0"};
  }));
  EXPECT_EQ(stack().JobState(kept_job), "sent");
  EXPECT_NE(stack().Query("SELECT count(*) FROM outbox_events WHERE job_id = " +
                          std::to_string(kept_job)),
            std::vector<std::string>{"0"});
  EXPECT_GE(stack().Metric("retention_mail_bodies_deleted_total"), 1);

  // The unverified account goes with its token, its job and the history.
  ASSERT_TRUE(WaitFor(
      [&] { return stack().Metric("retention_accounts_deleted_total") >= 1; }));
  EXPECT_EQ(
      stack().Query("SELECT count(*) FROM users WHERE email = '" + gone + "'"),
      std::vector<std::string>{"0"});
  EXPECT_EQ(
      stack().Query("SELECT count(*) FROM outbox WHERE rcpt = '" + gone + "'"),
      std::vector<std::string>{"0"});
  EXPECT_EQ(stack().Query("SELECT count(*) FROM tokens"),
            std::vector<std::string>{"1"});  // the verified account's
  EXPECT_EQ(stack().Query("SELECT count(*) FROM users WHERE email = '" + kept +
                          "' AND verified_ms IS NOT NULL"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(stack().Metric("retention_accounts_deleted_total"), 1);
  // Counted from the rows, yet no total went down with the deleted ones.
  EXPECT_EQ(stack().Metric("registrations_total"), 2);
  EXPECT_EQ(stack().Metric("mail_sent_total"), 2);
  EXPECT_EQ(stack().Metric("mail_delivery_seconds_count"), 2);
}

}  // namespace
}  // namespace reg::testing
