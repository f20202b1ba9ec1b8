// Fuzzes the FastCGI parameter handling we own: BuildRequest over fuzzed
// parameters and body, then what handlers read of a Request (QueryParam,
// WantsJson, ReadFields, CheckSameSite, ErrorResponse).
//
// Input: byte 0 gives the pair count (mod 16); then that many
// "name\0value\0" pairs (libfcgi params are C strings); the rest is the
// body the reader hands out.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "handlers/handlers.h"
#include "handlers/router.h"
#include "http/form.h"
#include "http/request.h"
#include "i18n/accept_language.h"
#include "i18n/messages.h"

namespace {

using reg::Code;
using reg::Request;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct Input {
  std::map<std::string, std::string, std::less<>> params;  // first one wins
  std::string_view body;
};

Input Decode(std::string_view in) {
  Input out;
  if (in.empty()) return out;
  const std::size_t pairs = static_cast<unsigned char>(in[0]) % 16;
  in.remove_prefix(1);
  for (std::size_t i = 0; i < pairs; ++i) {
    const std::size_t a = in.find('\0');
    if (a == std::string_view::npos) break;
    const std::size_t b = in.find('\0', a + 1);
    if (b == std::string_view::npos) break;
    out.params.emplace(std::string(in.substr(0, a)),
                       std::string(in.substr(a + 1, b - a - 1)));
    in.remove_prefix(b + 1);
  }
  out.body = in;
  return out;
}

// CONTENT_LENGTH's value when it is all ASCII digits (saturating at 2^62);
// -1 otherwise.
long long PlainLength(const std::string& v) {
  long long n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    n = n > (1LL << 58) ? 1LL << 62 : n * 10 + (c - '0');
  }
  return n;
}

void CheckBuild(const Input& in, const Request& r, std::size_t delivered,
                std::size_t extent, int reads) {
  const auto find = [&in](const char* name) -> const std::string* {
    auto it = in.params.find(name);
    return it == in.params.end() ? nullptr : &it->second;
  };
  const auto value = [&find](const char* name) {
    const std::string* v = find(name);
    return v ? *v : std::string();
  };
  FUZZ_CHECK(r.method == value("REQUEST_METHOD"));
  FUZZ_CHECK(r.query == value("QUERY_STRING"));
  const std::string host = value("REQUEST_HOST");
  FUZZ_CHECK(r.host == (host.empty() ? value("HTTP_HOST") : host));
  FUZZ_CHECK(r.job_signature == value("HTTP_X_JOB_SIGNATURE"));

  // The body: a prefix of what the reader had, never above the cap, and
  // everything read ends up in it.
  FUZZ_CHECK(r.body.size() <= reg::kMaxBodyBytes);
  FUZZ_CHECK(in.body.substr(0, r.body.size()) == r.body);
  FUZZ_CHECK(delivered == r.body.size());
  FUZZ_CHECK(!(r.body_too_large && reads > 0));

  const std::string* length = find("CONTENT_LENGTH");
  if (length == nullptr || length->empty()) {
    FUZZ_CHECK(reads == 0 && !r.body_short && !r.body_too_large);
    return;
  }
  const long long n = PlainLength(*length);
  if (n < 0) {  // unparsable: never read
    FUZZ_CHECK(reads == 0 && r.body.empty());
    return;
  }
  FUZZ_CHECK(extent <= static_cast<std::size_t>(n));
  if (n > static_cast<long long>(reg::kMaxBodyBytes)) {
    FUZZ_CHECK(r.body_too_large && reads == 0 && r.body.empty());
    return;
  }
  FUZZ_CHECK(!r.body_too_large);
  const std::size_t want = static_cast<std::size_t>(n);
  FUZZ_CHECK(r.body.size() == std::min(want, in.body.size()));
  FUZZ_CHECK(r.body_short == (in.body.size() < want));
}

void CheckQuery(const Request& r) {
  const reg::Result<reg::Fields> fields = reg::ParseUrlEncoded(r.query);
  if (!fields.ok()) {
    FUZZ_CHECK(r.QueryParam("token").empty());
    return;
  }
  for (const auto& [key, value] : fields.value()) {
    FUZZ_CHECK(r.QueryParam(key) == value);
  }
  (void)r.QueryParam("token");
}

void CheckOrigin(Request r) {
  const reg::Status s = reg::CheckSameSite(r);
  FUZZ_CHECK(s.ok() || s.code() == Code::kForbidden);
  const bool cross = Lower(r.sec_fetch_site) == "cross-site";
  const bool same = Lower(r.sec_fetch_site) == "same-origin";
  if (cross) FUZZ_CHECK(!s.ok());
  // "Origin: null" passes only when Sec-Fetch-Site says same-origin.
  if (r.origin == "null") FUZZ_CHECK(s.ok() == same);
  if (s.ok() && !r.origin.empty() && r.origin != "null") {
    const std::size_t sep = r.origin.find("://");
    FUZZ_CHECK(sep != std::string::npos);
    FUZZ_CHECK(r.origin.find('/', sep + 3) == std::string::npos);
  }
  if (cross) return;
  // The page's own origin is always accepted (Host has no '/').
  if (r.host.find('/') == std::string::npos) {
    r.origin = "https://" + r.host;
    FUZZ_CHECK(reg::CheckSameSite(r).ok());
  }
  // Another site's origin never is.
  if (Lower(r.host).rfind("evil.example", 0) != 0) {
    r.origin = "https://evil.example";
    FUZZ_CHECK(!reg::CheckSameSite(r).ok());
  }
}

// The repository's catalogues (run from the repository's root, as
// tests/fuzz/run.sh does); without them nothing can be checked.
const reg::Messages& English() {
  static const reg::Catalogues* catalogues = [] {
    reg::Result<reg::Catalogues> c = reg::Catalogues::Load("lang");
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      std::abort();
    }
    return new reg::Catalogues(std::move(c).value());
  }();
  return catalogues->Get("en");
}

void CheckResponses(const Request& r) {
  const std::string lang =
      reg::NegotiateLanguage(r.accept_language, {"de", "en", "fr"}, "en");
  FUZZ_CHECK(lang == "de" || lang == "en" || lang == "fr");
  const reg::Result<reg::Fields> fields = reg::ReadFields(r);
  if (!fields.ok()) {
    const Code c = fields.status().code();
    FUZZ_CHECK(c == Code::kTooLarge || c == Code::kUnsupportedMedia ||
               c == Code::kMalformed);
  }
  const bool json = r.WantsJson();
  const reg::Result<reg::BodyKind> kind = reg::BodyKindFor(r.content_type);
  if (kind.ok() && kind.value() == reg::BodyKind::kJson) FUZZ_CHECK(json);

  const reg::Response e =
      reg::ErrorResponse(r, reg::Status::Malformed("fuzz"), English());
  const std::string bytes = e.Serialize();
  const std::size_t end = bytes.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string::npos);
  const std::string_view head = std::string_view(bytes).substr(0, end + 2);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') FUZZ_CHECK(i + 1 < head.size() && head[i + 1] == '\n');
    if (head[i] == '\n') FUZZ_CHECK(i > 0 && head[i - 1] == '\r');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const Input in = Decode(fuzz::AsView(data, size));
  std::size_t offset = 0, extent = 0;
  int reads = 0;
  const Request r = reg::BuildRequest(
      [&in](const char* name) -> const char* {
        auto it = in.params.find(name);
        return it == in.params.end() ? nullptr : it->second.c_str();
      },
      [&](char* buf, std::size_t n) -> std::size_t {
        // Short reads of varying size, as a socket gives them.
        ++reads;
        extent = std::max(extent, offset + n);
        const std::size_t chunk =
            1 + (static_cast<std::size_t>(reads) * 977) % 5000;
        const std::size_t k = std::min({n, chunk, in.body.size() - offset});
        std::memcpy(buf, in.body.data() + offset, k);
        offset += k;
        return k;
      });
  CheckBuild(in, r, offset, extent, reads);
  CheckQuery(r);
  CheckOrigin(r);
  CheckResponses(r);
  return 0;
}
