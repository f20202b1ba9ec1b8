#include "http/request.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "http/response.h"

namespace reg {
namespace {

// FastCGI params from a map, and a body read from a string in chunks of at
// most "chunk" bytes, counting what was asked for.
class FakeFcgi {
 public:
  FakeFcgi(std::map<std::string, std::string> params, std::string stream,
           std::size_t chunk = 3)
      : params_(std::move(params)), stream_(std::move(stream)), chunk_(chunk) {}

  Request Build() {
    return BuildRequest(
        [this](const char* name) -> const char* {
          auto it = params_.find(name);
          return it == params_.end() ? nullptr : it->second.c_str();
        },
        [this](char* buf, std::size_t n) -> std::size_t {
          reads_++;
          std::size_t k = std::min({n, chunk_, stream_.size() - pos_});
          std::memcpy(buf, stream_.data() + pos_, k);
          pos_ += k;
          return k;
        });
  }

  int reads() const { return reads_; }
  std::size_t consumed() const { return pos_; }

 private:
  std::map<std::string, std::string> params_;
  std::string stream_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
  int reads_ = 0;
};

Request WithLength(const std::string& length, const std::string& stream,
                   int* reads = nullptr) {
  FakeFcgi fcgi({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", length}},
                stream);
  Request r = fcgi.Build();
  if (reads != nullptr) *reads = fcgi.reads();
  return r;
}

// --- BuildRequest
// ----------------------------------------------------------------

TEST(BuildRequest, CopiesEveryParameter) {
  FakeFcgi fcgi({{"REQUEST_METHOD", "POST"},
                 {"DOCUMENT_URI", "/register"},
                 {"QUERY_STRING", "a=1"},
                 {"CONTENT_TYPE", "application/json"},
                 {"HTTP_ACCEPT", "text/html"},
                 {"HTTP_HOST", "h:8080"},
                 {"HTTP_ORIGIN", "http://h:8080"},
                 {"HTTP_SEC_FETCH_SITE", "same-origin"},
                 {"REMOTE_ADDR", "127.0.0.1"},
                 {"HTTP_X_JOB_TIMESTAMP", "1700000000"},
                 {"HTTP_X_JOB_SIGNATURE", "v1=ab"}},
                "");
  Request r = fcgi.Build();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/register");
  EXPECT_EQ(r.query, "a=1");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.accept, "text/html");
  EXPECT_EQ(r.host, "h:8080");
  EXPECT_EQ(r.origin, "http://h:8080");
  EXPECT_EQ(r.sec_fetch_site, "same-origin");
  EXPECT_EQ(r.remote_addr, "127.0.0.1");
  EXPECT_EQ(r.job_timestamp, "1700000000");
  EXPECT_EQ(r.job_signature, "v1=ab");
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.body_short);
  EXPECT_FALSE(r.body_too_large);
  EXPECT_EQ(r.internal_key, "");
}

TEST(BuildRequest, OnlyTheInternalListenersParameterMarksARequestInternal) {
  EXPECT_EQ(FakeFcgi({{"REGISTRAR_INTERNAL", "k3y"}}, "").Build().internal_key,
            "k3y");
  // What a client can send: a header becomes HTTP_*, never the parameter.
  EXPECT_EQ(
      FakeFcgi({{"HTTP_REGISTRAR_INTERNAL", "1"}}, "").Build().internal_key,
      "");
}

TEST(BuildRequest, AMissingOrEmptyContentLengthReadsNothing) {
  FakeFcgi missing({{"REQUEST_METHOD", "POST"}}, "hello");
  Request a = missing.Build();
  EXPECT_EQ(missing.reads(), 0);
  EXPECT_EQ(a.body, "");
  EXPECT_FALSE(a.body_short);

  int reads = -1;
  Request b = WithLength("", "hello", &reads);
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(b.body, "");
  EXPECT_FALSE(b.body_short);
  EXPECT_FALSE(b.body_too_large);
}

TEST(BuildRequest, ReadsExactlyContentLengthBytes) {
  FakeFcgi fcgi({{"CONTENT_LENGTH", "5"}}, "hello, and more", /*chunk=*/2);
  Request r = fcgi.Build();
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(fcgi.consumed(), 5u);
  EXPECT_FALSE(r.body_short);
  EXPECT_FALSE(r.body_too_large);
}

TEST(BuildRequest, AZeroContentLengthReadsNothing) {
  int reads = -1;
  Request r = WithLength("0", "hello", &reads);
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.body_short);
}

TEST(BuildRequest, ABodyOfExactlyTheCapIsRead) {
  std::string body(kMaxBodyBytes, 'x');
  FakeFcgi fcgi({{"CONTENT_LENGTH", std::to_string(kMaxBodyBytes)}}, body,
                4096);
  Request r = fcgi.Build();
  EXPECT_EQ(r.body.size(), kMaxBodyBytes);
  EXPECT_FALSE(r.body_too_large);
  EXPECT_FALSE(r.body_short);
}

TEST(BuildRequest, AContentLengthOverTheCapIsTooLargeAndNothingIsRead) {
  int reads = -1;
  Request r = WithLength(std::to_string(kMaxBodyBytes + 1),
                         std::string(kMaxBodyBytes + 1, 'x'), &reads);
  EXPECT_EQ(reads, 0);
  EXPECT_TRUE(r.body_too_large);
  EXPECT_FALSE(r.body_short);
  EXPECT_EQ(r.body, "");
}

TEST(BuildRequest, AnUnparsableContentLengthIsShortAndNothingIsRead) {
  for (const char* length : {"abc", "5x", "x5", "-1", "-0", "1.5"}) {
    int reads = -1;
    Request r = WithLength(length, "hello", &reads);
    EXPECT_EQ(reads, 0) << length;
    EXPECT_TRUE(r.body_short) << length;
    EXPECT_FALSE(r.body_too_large) << length;
    EXPECT_EQ(r.body, "") << length;
  }
}

// CONTENT_LENGTH is 1*DIGIT (RFC 9110 8.6): no sign, no white space.
TEST(BuildRequest, AContentLengthTooBigForAnIntegerIsTooLarge) {
  int reads = -1;
  Request r = WithLength("99999999999999999999999", "hello", &reads);
  EXPECT_EQ(reads, 0);
  EXPECT_TRUE(r.body_too_large);
}

TEST(BuildRequest, AContentLengthWithSpaceOrSignIsUnparsable) {
  for (const char* length : {" -1", " 5", "+5", "5 "}) {
    int reads = -1;
    Request r = WithLength(length, "hello", &reads);
    EXPECT_EQ(reads, 0) << "'" << length << "'";
    EXPECT_TRUE(r.body_short) << "'" << length << "'";
    EXPECT_FALSE(r.body_too_large) << "'" << length << "'";
  }
}

TEST(BuildRequest, AStreamEndingBeforeContentLengthIsShort) {
  Request r = WithLength("10", "hello");
  EXPECT_TRUE(r.body_short);
  EXPECT_FALSE(r.body_too_large);
  EXPECT_EQ(r.body, "hello");
}

TEST(BuildRequest, RequestHostIsPreferredOverHttpHost) {
  FakeFcgi both({{"REQUEST_HOST", "a:8080"}, {"HTTP_HOST", "b:9090"}}, "");
  EXPECT_EQ(both.Build().host, "a:8080");
  FakeFcgi only_http({{"HTTP_HOST", "b:9090"}}, "");
  EXPECT_EQ(only_http.Build().host, "b:9090");
  FakeFcgi empty_request({{"REQUEST_HOST", ""}, {"HTTP_HOST", "b:9090"}}, "");
  EXPECT_EQ(empty_request.Build().host, "b:9090");
}

// --- Request::QueryParam / WantsJson
// ---------------------------------------------

TEST(QueryParam, DecodesPercentEscapesAndPlus) {
  Request r;
  r.query = "token=a%2Bb&name=John+Smith&empty=&bare";
  EXPECT_EQ(r.QueryParam("token"), "a+b");
  EXPECT_EQ(r.QueryParam("name"), "John Smith");
  EXPECT_EQ(r.QueryParam("empty"), "");
  EXPECT_EQ(r.QueryParam("bare"), "");
}

TEST(QueryParam, IsEmptyWhenAbsent) {
  Request r;
  EXPECT_EQ(r.QueryParam("token"), "");
  r.query = "other=1";
  EXPECT_EQ(r.QueryParam("token"), "");
  EXPECT_EQ(r.QueryParam("Other"), "");
}

TEST(QueryParam, IsEmptyWhenTheQueryIsMalformed) {
  Request r;
  r.query = "token=abc&x=%zz";
  EXPECT_EQ(r.QueryParam("token"), "");
  r.query = "token=abc&token=def";
  EXPECT_EQ(r.QueryParam("token"), "");
  r.query = "token=%FF";
  EXPECT_EQ(r.QueryParam("token"), "");
}

TEST(WantsJson, FollowsAcceptOrAJsonContentType) {
  Request r;
  EXPECT_FALSE(r.WantsJson());
  r.accept = "application/json";
  EXPECT_TRUE(r.WantsJson());
  r.accept = "text/html, APPLICATION/JSON;q=0.5";
  EXPECT_TRUE(r.WantsJson());
  r.accept = "text/html,application/xhtml+xml,*/*;q=0.8";
  EXPECT_FALSE(r.WantsJson());
  r.content_type = "Application/Json; charset=UTF-8";
  EXPECT_TRUE(r.WantsJson());
  r.content_type = "application/x-www-form-urlencoded";
  EXPECT_FALSE(r.WantsJson());
}

// --- Response
// --------------------------------------------------------------------

TEST(Response, SerializeWritesStatusHeadersLengthAndBody) {
  Response r = Response::Json(202, "{\"ok\":true}");
  EXPECT_EQ(r.Serialize(),
            "Status: 202 Accepted\r\n"
            "Content-Type: application/json\r\n"
            "Cache-Control: no-store\r\n"
            "Content-Length: 11\r\n"
            "\r\n"
            "{\"ok\":true}");
}

TEST(Response, HtmlSetsItsContentType) {
  Response r = Response::Html(404, "<p>x</p>");
  EXPECT_EQ(r.status, 404);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "text/html; charset=utf-8");
  EXPECT_EQ(r.Serialize().rfind("Status: 404 Not Found\r\n", 0), 0u);
}

TEST(Response, AddHeaderRefusesCrLfAndNul) {
  Response r;
  EXPECT_TRUE(r.AddHeader("X-Ok", "fine"));
  EXPECT_FALSE(r.AddHeader("X-Bad", "a\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(r.AddHeader("X-Bad", "a\nb"));
  EXPECT_FALSE(r.AddHeader("X-Bad", "a\rb"));
  EXPECT_FALSE(r.AddHeader("X-Bad", std::string_view("a\0b", 3)));
  EXPECT_FALSE(r.AddHeader("X-Bad\r\nInjected", "v"));
  EXPECT_FALSE(r.AddHeader("X-Bad\n", "v"));
  EXPECT_FALSE(r.AddHeader(std::string_view("X\0Bad", 5), "v"));
  EXPECT_FALSE(r.AddHeader("", "v"));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-Ok");
  const std::string wire = r.Serialize();
  EXPECT_EQ(wire.find("Set-Cookie"), std::string::npos);
  EXPECT_EQ(wire.find("Injected"), std::string::npos);
  EXPECT_EQ(wire.find("X-Bad"), std::string::npos);
}

TEST(Response, SeeOtherSetsLocation) {
  Response r = Response::SeeOther("/registered");
  EXPECT_EQ(r.status, 303);
  bool found = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "Location") {
      found = true;
      EXPECT_EQ(value, "/registered");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(r.Serialize().rfind("Status: 303 See Other\r\n", 0), 0u);
}

TEST(Response, SeeOtherWithALineBreakSetsNoLocation) {
  Response r = Response::SeeOther("/x\r\nSet-Cookie: a=b");
  for (const auto& [name, value] : r.headers) EXPECT_NE(name, "Location");
  const std::string wire = r.Serialize();
  const std::string head = wire.substr(0, wire.find("\r\n\r\n"));
  EXPECT_EQ(head.find("Set-Cookie"), std::string::npos);
}

TEST(ReasonPhrase, NamesTheCodesThisServiceSends) {
  EXPECT_STREQ(ReasonPhrase(200), "OK");
  EXPECT_STREQ(ReasonPhrase(202), "Accepted");
  EXPECT_STREQ(ReasonPhrase(303), "See Other");
  EXPECT_STREQ(ReasonPhrase(422), "Unprocessable Content");
  EXPECT_STREQ(ReasonPhrase(503), "Service Unavailable");
  EXPECT_STREQ(ReasonPhrase(418), "");
}

}  // namespace
}  // namespace reg
