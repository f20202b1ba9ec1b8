// Fuzzes JobSigner::Verify on "timestamp\0signature\0body" (header values
// are C strings, the body is raw), with a fixed key and clock. Checks it
// against HmacSha256 computed directly, and that Sign() of the fuzzed body
// always verifies while a flipped or stale signature never does.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "crypto/job_signer.h"
#include "crypto/token.h"
#include "fuzz_util.h"

namespace {

constexpr std::string_view kKey =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr std::int64_t kNow = 1'700'000'000;

const reg::JobSigner& Signer() {
  static const reg::JobSigner* signer = [] {
    reg::Result<reg::JobSigner> s = reg::JobSigner::Create(std::string(kKey));
    FUZZ_CHECK(s.ok());
    return new reg::JobSigner(std::move(s).value());
  }();
  return *signer;
}

// 1 to 12 ASCII digits, as Verify requires; -1 otherwise.
std::int64_t ParseTimestamp(std::string_view ts) {
  if (ts.empty() || ts.size() > 12) return -1;
  std::int64_t v = 0;
  for (char c : ts) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string Expected(std::string_view ts, std::string_view body) {
  reg::Result<std::string> mac =
      reg::HmacSha256(kKey, std::string(ts) + "." + std::string(body));
  FUZZ_CHECK(mac.ok());
  return "v1=" + reg::HexEncode(mac.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const reg::JobSigner& signer = Signer();
  const auto parts = fuzz::SplitN(fuzz::AsView(data, size), '\0', 3);
  const std::string_view ts = parts[0], sig = parts[1], body = parts[2];

  // The fuzzed triple: OK exactly when the timestamp is in the window and
  // the signature is the MAC of the timestamp text as received.
  const reg::Status s = signer.Verify(ts, sig, body, kNow);
  FUZZ_CHECK(s.ok() || s.code() == reg::Code::kUnauthenticated);
  const std::int64_t t = ParseTimestamp(ts);
  const bool in_window = t >= 0 && t >= kNow - reg::JobSigner::kMaxSkewS &&
                         t <= kNow + reg::JobSigner::kMaxSkewS;
  if (in_window) {
    FUZZ_CHECK(s.ok() == (sig == Expected(ts, body)));
  } else {
    FUZZ_CHECK(!s.ok());
  }
  // Any clock, however far off, gives an answer and no overflow.
  FUZZ_CHECK(
      !signer.Verify(ts, sig, body, std::numeric_limits<std::int64_t>::min())
           .ok());
  (void)signer.Verify(ts, sig, body, std::numeric_limits<std::int64_t>::max());

  // Differential: a fresh signature of the fuzzed body verifies at any
  // time within the window, and not after it or with one digit changed.
  const std::int64_t skew =
      static_cast<std::int64_t>(size % (2 * reg::JobSigner::kMaxSkewS + 1)) -
      reg::JobSigner::kMaxSkewS;
  const std::int64_t when = kNow + skew;
  const std::string good = signer.Sign(when, body);
  FUZZ_CHECK(good.size() == 3 + 64);
  FUZZ_CHECK(good == Expected(std::to_string(when), body));
  FUZZ_CHECK(signer.Verify(std::to_string(when), good, body, kNow).ok());
  FUZZ_CHECK(!signer
                  .Verify(std::to_string(when), good, body,
                          when + reg::JobSigner::kMaxSkewS + 1)
                  .ok());
  std::string flipped = good;
  char& c = flipped[3 + size % 64];
  c = c == '0' ? '1' : '0';
  FUZZ_CHECK(!signer.Verify(std::to_string(when), flipped, body, kNow).ok());
  return 0;
}
