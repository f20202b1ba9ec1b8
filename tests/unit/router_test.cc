#include "handlers/router.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "base/hash_gate.h"
#include "handlers/context.h"
#include "sqlite_fixture.h"
#include "storage/sqlite/engine.h"
#include "testutil.h"

namespace reg {
namespace {

// Every value of the header "name", in order.
std::vector<std::string> HeaderValues(const Response& r,
                                      const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [n, v] : r.headers) {
    if (n == name) values.push_back(v);
  }
  return values;
}

std::string Header(const Response& r, const std::string& name) {
  std::vector<std::string> values = HeaderValues(r, name);
  return values.empty() ? "" : values.front();
}

Request Post(const std::string& host, const std::string& origin) {
  Request r;
  r.method = "POST";
  r.path = "/register";
  r.host = host;
  r.origin = origin;
  return r;
}

// --- CheckSameSite
// ---------------------------------------------------------------

TEST(CheckSameSite, ARequestWithoutOriginOrFetchMetadataIsAllowed) {
  EXPECT_OK(CheckSameSite(Post("h:8080", "")));
}

TEST(CheckSameSite, SecFetchSiteCrossSiteIsForbidden) {
  Request r = Post("h:8080", "");
  r.sec_fetch_site = "cross-site";
  EXPECT_EQ(CheckSameSite(r).code(), Code::kForbidden);
  r.sec_fetch_site = "Cross-Site";
  EXPECT_EQ(CheckSameSite(r).code(), Code::kForbidden);
  // Even when the Origin would match.
  r.origin = "http://h:8080";
  EXPECT_EQ(CheckSameSite(r).code(), Code::kForbidden);
}

TEST(CheckSameSite, SecFetchSiteSameOriginSameSiteAndNoneAreAllowed) {
  for (const char* site : {"same-origin", "same-site", "none"}) {
    Request r = Post("h:8080", "");
    r.sec_fetch_site = site;
    EXPECT_OK(CheckSameSite(r)) << site;
  }
}

TEST(CheckSameSite, AnOriginWithTheRequestsHostAndPortIsAllowed) {
  EXPECT_OK(CheckSameSite(Post("h:8080", "http://h:8080")));
}

TEST(CheckSameSite, AnOriginOnAnotherPortIsForbidden) {
  EXPECT_EQ(CheckSameSite(Post("h:9090", "http://h:8080")).code(),
            Code::kForbidden);
}

TEST(CheckSameSite, AnOriginWithoutPortTakesTheSchemesDefaultPort) {
  EXPECT_OK(CheckSameSite(Post("h", "https://h")));
  EXPECT_OK(CheckSameSite(Post("h", "http://h")));
  EXPECT_OK(CheckSameSite(Post("h:443", "https://h")));
  EXPECT_OK(CheckSameSite(Post("h:80", "http://h")));
  EXPECT_EQ(CheckSameSite(Post("h:80", "https://h")).code(), Code::kForbidden);
  EXPECT_EQ(CheckSameSite(Post("h:443", "http://h")).code(), Code::kForbidden);
}

TEST(CheckSameSite, AnOriginOnAnotherHostIsForbidden) {
  EXPECT_EQ(CheckSameSite(Post("h", "http://evil")).code(), Code::kForbidden);
  EXPECT_EQ(CheckSameSite(Post("h:8080", "http://evil:8080")).code(),
            Code::kForbidden);
  EXPECT_EQ(CheckSameSite(Post("h", "http://h.evil")).code(), Code::kForbidden);
}

TEST(CheckSameSite, TheNullOriginIsForbidden) {
  EXPECT_EQ(CheckSameSite(Post("h", "null")).code(), Code::kForbidden);
  Request r = Post("h", "null");
  r.sec_fetch_site = "cross-site";
  EXPECT_EQ(CheckSameSite(r).code(), Code::kForbidden);
  r.sec_fetch_site = "same-site";
  EXPECT_EQ(CheckSameSite(r).code(), Code::kForbidden);
}

// What a browser sends for its own form under a strict referrer policy.
TEST(CheckSameSite, TheNullOriginWithSecFetchSiteSameOriginPasses) {
  Request r = Post("h", "null");
  r.sec_fetch_site = "same-origin";
  EXPECT_OK(CheckSameSite(r));
}

TEST(CheckSameSite, AnOriginWithAPathIsForbidden) {
  EXPECT_EQ(CheckSameSite(Post("h", "http://h/")).code(), Code::kForbidden);
}

TEST(CheckSameSite, HostsCompareCaseInsensitively) {
  EXPECT_OK(CheckSameSite(Post("Example.COM:8080", "http://example.com:8080")));
  EXPECT_OK(CheckSameSite(Post("example.com:8080", "HTTP://EXAMPLE.COM:8080")));
}

TEST(CheckSameSite, IPv6HostsKeepTheirBrackets) {
  EXPECT_OK(CheckSameSite(Post("[::1]:8080", "http://[::1]:8080")));
  EXPECT_OK(CheckSameSite(Post("[::1]", "http://[::1]")));
  EXPECT_OK(CheckSameSite(Post("[::1]", "http://[::1]:8080")));
  EXPECT_EQ(CheckSameSite(Post("[::1]:9090", "http://[::1]:8080")).code(),
            Code::kForbidden);
  EXPECT_EQ(CheckSameSite(Post("[::2]:8080", "http://[::1]:8080")).code(),
            Code::kForbidden);
}

TEST(CheckSameSite, AHostWithoutPortLetsTheHostDecide) {
  // Debian's fastcgi_params pass $host, which has no port.
  EXPECT_OK(CheckSameSite(Post("h", "http://h:8080")));
}

// --- HttpStatusFor / ErrorResponse
// -------------------------------------------------

// --- CheckInternal
// ---------------------------------------------------------------

constexpr char kInternalKey[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Request Internal(const std::string& remote_addr, bool internal) {
  Request r;
  r.method = "GET";
  r.path = "/internal/metrics";
  r.remote_addr = remote_addr;
  if (internal) r.internal_key = kInternalKey;
  return r;
}

TEST(CheckInternal, TheInternalListenerOnLoopbackPasses) {
  for (const char* addr :
       {"127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1", "unix:"}) {
    EXPECT_OK(CheckInternal(Internal(addr, true), kInternalKey)) << addr;
  }
}

TEST(CheckInternal, AnyOtherListenerIs404EvenFromLoopback) {
  // A proxy or tunnel on the same host makes every visitor 127.0.0.1.
  EXPECT_EQ(CheckInternal(Internal("127.0.0.1", false), kInternalKey).code(),
            Code::kNotFound);
  EXPECT_EQ(CheckInternal(Internal("192.0.2.1", false), kInternalKey).code(),
            Code::kNotFound);
}

TEST(CheckInternal, AKeyOtherThanTheInternalListenersIs404) {
  // Any process that reaches the workers' socket can set parameters.
  Request r = Internal("127.0.0.1", false);
  for (const char* key : {"1", "0123", "x", " "}) {
    r.internal_key = key;
    EXPECT_EQ(CheckInternal(r, kInternalKey).code(), Code::kNotFound) << key;
  }
  r.internal_key = std::string(kInternalKey) + "0";
  EXPECT_EQ(CheckInternal(r, kInternalKey).code(), Code::kNotFound);
  // No key configured: nothing is internal, an empty parameter included.
  r.internal_key = "";
  EXPECT_EQ(CheckInternal(r, "").code(), Code::kNotFound);
}

TEST(CheckInternal, AnotherClientOrNoneIsForbidden) {
  for (const char* addr :
       {"", "192.0.2.1", "::2", "128.0.0.1", "::ffff:10.0.0.1", "unix"}) {
    EXPECT_EQ(CheckInternal(Internal(addr, true), kInternalKey).code(),
              Code::kForbidden)
        << "'" << addr << "'";
  }
}

TEST(HttpStatusFor, MapsEveryCode) {
  const std::pair<Code, int> table[] = {
      {Code::kOk, 200},
      {Code::kMalformed, 400},
      {Code::kInvalidArgument, 422},
      {Code::kUnauthenticated, 401},
      {Code::kForbidden, 403},
      {Code::kNotFound, 404},
      {Code::kMethodNotAllowed, 405},
      {Code::kGone, 410},
      {Code::kTooLarge, 413},
      {Code::kUnsupportedMedia, 415},
      {Code::kUnavailable, 503},
      {Code::kInternal, 500},
  };
  for (const auto& [code, http] : table) {
    Status s = code == Code::kOk ? Status() : Status(code, "x");
    EXPECT_EQ(HttpStatusFor(s), http) << s.ToString();
  }
}

TEST(ErrorResponse, IsJsonWhenAcceptNamesJsonInAnyCase) {
  Request r;
  r.accept = "text/html, Application/JSON;q=0.9";
  Response resp =
      ErrorResponse(r, Status::InvalidArgument("bad email"), English());
  EXPECT_EQ(resp.status, 422);
  EXPECT_EQ(Header(resp, "Content-Type"), "application/json");
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << resp.body;
  ASSERT_TRUE(j.contains("error"));
  EXPECT_TRUE(j["error"].is_string());
  // The log message stays out of the answer.
  EXPECT_EQ(resp.body.find("bad email"), std::string::npos);
}

TEST(ErrorResponse, IsJsonWhenTheBodyWasJson) {
  Request r;
  r.content_type = "application/json; charset=utf-8";
  r.accept = "*/*";
  Response resp = ErrorResponse(r, Status::Malformed("bad JSON"), English());
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(Header(resp, "Content-Type"), "application/json");
}

TEST(ErrorResponse, IsHtmlOtherwise) {
  Request r;
  r.content_type = "application/x-www-form-urlencoded";
  r.accept = "text/html,application/xhtml+xml";
  for (const Status& s :
       {Status::Malformed("m"), Status::NotFound("n"), Status::Gone("g"),
        Status::Internal("i"), Status(Code::kForbidden, "f")}) {
    Response resp = ErrorResponse(r, s, English());
    EXPECT_EQ(resp.status, HttpStatusFor(s));
    EXPECT_EQ(Header(resp, "Content-Type"), "text/html; charset=utf-8")
        << s.ToString();
    EXPECT_FALSE(resp.body.empty());
  }
}

TEST(ErrorResponse, A503CarriesRetryAfterInHtmlAndJson) {
  Request html;
  Response h = ErrorResponse(html, Status::Unavailable("busy"), English());
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(Header(h, "Retry-After"), "5");

  Request json;
  json.accept = "application/json";
  Response j = ErrorResponse(json, Status::Unavailable("busy"), English());
  EXPECT_EQ(j.status, 503);
  EXPECT_EQ(Header(j, "Retry-After"), "5");

  EXPECT_EQ(Header(ErrorResponse(html, Status::Internal("x"), English()),
                   "Retry-After"),
            "");
}

// --- Router::Dispatch
// ------------------------------------------------------------

struct Calls {
  int get = 0;
  int post = 0;
  int guarded = 0;
};
Calls calls;

Result<Reply> GetHandler(const Request& request, Context& context) {
  calls.get++;
  Reply reply;
  reply.response =
      Response::Text(200, request.method + " " +
                              std::to_string(context.services.clock->NowMs()));
  return reply;
}

Result<Reply> PostHandler(const Request&, Context& context) {
  calls.post++;
  Status s = context.store.Ping();
  if (!s.ok()) return s;
  Reply reply;
  reply.response = Response::Text(202, "queued");
  reply.after = PostJob{7};
  return reply;
}

Result<Reply> GuardedHandler(const Request&, Context&) {
  calls.guarded++;
  Reply reply;
  reply.response = Response::Text(200, "guarded");
  return reply;
}

Result<Reply> ThrowingHandler(const Request&, Context&) {
  throw std::runtime_error("boom");
}

Result<Reply> BusyHandler(const Request&, Context&) {
  return Status::Unavailable("database busy");
}

// What a bad MAIL_FROM used to give: RenderMail's InvalidArgument.
Result<Reply> InvalidHandler(const Request&, Context&) {
  return Status::InvalidArgument("from: not a bare address");
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calls = Calls();
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "router_test.XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Result<SqliteParts> parts =
        OpenSqliteParts(dir_ + "/router.db", &clock_, OutboxPolicy());
    ASSERT_OK(parts);
    storage_ = std::move(parts.value().storage);
    store_ = std::move(parts.value().store);
    outbox_ = std::move(parts.value().outbox);
    context_ = std::make_unique<Context>(Context{services_, *store_, *outbox_});
  }
  void TearDown() override {
    context_.reset();
    outbox_.reset();
    store_.reset();
    storage_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  Reply Dispatch(const std::string& method, const std::string& path) {
    Request r;
    r.method = method;
    r.path = path;
    r.host = "h:8080";
    return Dispatch(r);
  }
  Reply Dispatch(const Request& r) { return router_.Dispatch(r, *context_); }

  std::string dir_;
  Config config_;
  FakeClock clock_{1'234'000};
  HashGate gate_{1};
  // The handlers here use no signer or sealer.
  Services services_{&config_, &clock_, nullptr,           nullptr,
                     &gate_,   nullptr, &TestCatalogues(), ""};
  std::unique_ptr<SqliteStorage> storage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Context> context_;
  Router router_{{
      {"GET", "/page", GetHandler},
      {"POST", "/page", PostHandler},
      {"POST", "/register", GuardedHandler, /*same_site_only=*/true},
      {"GET", "/throw", ThrowingHandler},
      {"POST", "/busy", BusyHandler},
      {"POST", "/invalid", InvalidHandler},
  }};
};

TEST_F(RouterTest, AKnownRouteRunsItsHandlerWithTheContext) {
  Reply get = Dispatch("GET", "/page");
  EXPECT_EQ(get.response.status, 200);
  EXPECT_EQ(get.response.body, "GET 1234000");
  EXPECT_EQ(calls.get, 1);

  Reply post = Dispatch("POST", "/page");
  EXPECT_EQ(post.response.status, 202);
  ASSERT_TRUE(std::holds_alternative<PostJob>(post.after));
  EXPECT_EQ(std::get<PostJob>(post.after).id, 7);
  EXPECT_EQ(calls.post, 1);
}

TEST_F(RouterTest, AnUnknownPathIs404) {
  Reply r = Dispatch("GET", "/nowhere");
  EXPECT_EQ(r.response.status, 404);
  EXPECT_EQ(Header(r.response, "Allow"), "");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r.after));
  // Paths match exactly.
  EXPECT_EQ(Dispatch("GET", "/page/").response.status, 404);
  EXPECT_EQ(Dispatch("GET", "/PAGE").response.status, 404);
}

TEST_F(RouterTest, AKnownPathWithAnotherMethodIs405WithAllow) {
  Reply r = Dispatch("DELETE", "/page");
  EXPECT_EQ(r.response.status, 405);
  EXPECT_EQ(HeaderValues(r.response, "Allow"),
            std::vector<std::string>{"GET, HEAD, POST"});
  EXPECT_EQ(calls.get + calls.post, 0);

  Reply g = Dispatch("GET", "/register");
  EXPECT_EQ(g.response.status, 405);
  EXPECT_EQ(Header(g.response, "Allow"), "POST");
  EXPECT_EQ(calls.guarded, 0);
}

TEST_F(RouterTest, HeadIsAnsweredByTheGetHandler) {
  Reply r = Dispatch("HEAD", "/page");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "HEAD 1234000");
  EXPECT_EQ(calls.get, 1);
  EXPECT_EQ(calls.post, 0);
  // HEAD on a POST-only path is 405, not a POST.
  EXPECT_EQ(Dispatch("HEAD", "/register").response.status, 405);
  EXPECT_EQ(calls.guarded, 0);
}

TEST_F(RouterTest,
       ACrossSitePostToASameSiteRouteIs403AndNeverReachesTheHandler) {
  Request r;
  r.method = "POST";
  r.path = "/register";
  r.host = "h:8080";
  r.origin = "http://evil.example";
  EXPECT_EQ(Dispatch(r).response.status, 403);
  r.origin = "";
  r.sec_fetch_site = "cross-site";
  EXPECT_EQ(Dispatch(r).response.status, 403);
  EXPECT_EQ(calls.guarded, 0);

  r.sec_fetch_site = "same-origin";
  r.origin = "http://h:8080";
  Reply ok = Dispatch(r);
  EXPECT_EQ(ok.response.status, 200);
  EXPECT_EQ(calls.guarded, 1);
}

TEST_F(RouterTest, ACrossSitePostToAnOpenRouteReachesTheHandler) {
  Request r;
  r.method = "POST";
  r.path = "/page";
  r.host = "h:8080";
  r.origin = "http://evil.example";
  EXPECT_EQ(Dispatch(r).response.status, 202);
  EXPECT_EQ(calls.post, 1);
}

TEST_F(RouterTest, AHandlerThatThrowsGives500) {
  Reply r;
  EXPECT_NO_THROW(r = Dispatch("GET", "/throw"));
  EXPECT_EQ(r.response.status, 500);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r.after));
  EXPECT_EQ(r.response.body.find("boom"), std::string::npos);
}

TEST_F(RouterTest, AHandlerErrorBecomesItsHttpAnswer) {
  Reply busy = Dispatch("POST", "/busy");
  EXPECT_EQ(busy.response.status, 503);
  EXPECT_EQ(Header(busy.response, "Retry-After"), "5");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(busy.after));
}

TEST_F(RouterTest, AnInvalidArgumentFromInsideIsLoggedAnd500NotAFieldError) {
  Request r;
  r.method = "POST";
  r.path = "/invalid";
  r.accept = "application/json";
  ::testing::internal::CaptureStderr();
  Reply invalid = Dispatch(r);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(invalid.response.status, 500);
  EXPECT_EQ(Header(invalid.response, "Content-Type"), "application/json");
  EXPECT_EQ(invalid.response.body.find("errors"), std::string::npos);
  EXPECT_NE(log.find("POST /invalid: "), std::string::npos) << log;
  EXPECT_NE(log.find("from: not a bare address"), std::string::npos) << log;
}

}  // namespace
}  // namespace reg
