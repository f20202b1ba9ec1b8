// Fuzzes the parse of stored password hashes ("password\0encoded").
// NeedsRehash parses every input. VerifyPassword also runs scrypt, so it is
// called only when the cost written in the string is tiny (the accepted
// bounds reach 16 GiB per hash; see password.h); anything that is not even
// of the "$scrypt$ln=D,r=D,p=D$" shape must be refused as Malformed. And a
// fresh cheap hash always verifies its own password, never another.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/password.h"
#include "fuzz_util.h"

namespace {

// scrypt with at most this many bytes of memory (128 * r * N * p) runs.
constexpr std::uint64_t kMaxCostBytes = std::uint64_t{1} << 16;

// The three numbers of a "$scrypt$ln=D,r=D,p=D$" prefix, read loosely (any
// digits, capped); nullopt when the string is not of that shape.
std::optional<reg::ScryptParams> LooseParams(std::string_view s) {
  reg::ScryptParams p;
  const auto field = [&s](std::string_view prefix, int* out) {
    if (s.substr(0, prefix.size()) != prefix) return false;
    s.remove_prefix(prefix.size());
    std::size_t n = 0;
    long long v = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
      v = std::min(v * 10 + (s[n] - '0'), 1'000'000LL);
      ++n;
    }
    if (n == 0) return false;
    s.remove_prefix(n);
    *out = static_cast<int>(v);
    return true;
  };
  if (!field("$scrypt$ln=", &p.log2_n) || !field(",r=", &p.r) ||
      !field(",p=", &p.p) || s.substr(0, 1) != "$") {
    return std::nullopt;
  }
  return p;
}

bool Cheap(const reg::ScryptParams& p) {
  if (p.log2_n > 20 || p.r > 64 || p.p > 64) return false;
  return 128 * static_cast<std::uint64_t>(p.r) *
             (std::uint64_t{1} << p.log2_n) * static_cast<std::uint64_t>(p.p) <=
         kMaxCostBytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const auto parts = fuzz::SplitN(fuzz::AsView(data, size), '\0', 2);
  const std::string_view password = parts[0], encoded = parts[1];

  const std::optional<reg::ScryptParams> loose = LooseParams(encoded);
  const reg::ScryptParams cheapest{1, 1, 1};
  const bool rehash = reg::NeedsRehash(encoded, cheapest);
  if (!loose) {
    FUZZ_CHECK(rehash);
    const reg::Result<bool> r = reg::VerifyPassword(password, encoded);
    FUZZ_CHECK(!r.ok() && r.status().code() == reg::Code::kMalformed);
  } else if (Cheap(*loose)) {
    const reg::Result<bool> r = reg::VerifyPassword(password, encoded);
    FUZZ_CHECK(r.ok() || r.status().code() == reg::Code::kMalformed);
    if (r.ok()) {
      // It parsed, so the loose reading was the exact one.
      FUZZ_CHECK(!reg::NeedsRehash(encoded, *loose));
    } else {
      FUZZ_CHECK(rehash);
    }
  }

  // A fresh hash at the cheapest cost: its password matches, another not.
  const reg::Result<std::string> hash = reg::HashPassword(password, cheapest);
  FUZZ_CHECK(hash.ok());
  FUZZ_CHECK(!reg::NeedsRehash(hash.value(), cheapest));
  const reg::Result<bool> same = reg::VerifyPassword(password, hash.value());
  FUZZ_CHECK(same.ok() && same.value());
  const reg::Result<bool> other =
      reg::VerifyPassword(std::string(password) + "x", hash.value());
  FUZZ_CHECK(other.ok() && !other.value());
  return 0;
}
