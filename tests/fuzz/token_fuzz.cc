// Fuzzes the encodings of token.h. Round trips both ways: decode(encode(x))
// == x for any bytes, and encode(decode(s)) == s whenever decode accepts s
// (one accepted spelling per byte string). Also LooksLikeToken against its
// stated rule, and the lengths of HexEncode and TokenHash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "crypto/token.h"
#include "fuzz_util.h"

namespace {

bool IsUrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool IsStdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

void CheckUrl(std::string_view in) {
  const std::string enc = reg::Base64UrlEncode(in);
  FUZZ_CHECK(std::all_of(enc.begin(), enc.end(), IsUrlChar));
  const std::optional<std::string> back = reg::Base64UrlDecode(enc);
  FUZZ_CHECK(back.has_value() && *back == in);

  const std::optional<std::string> dec = reg::Base64UrlDecode(in);
  if (!dec) return;
  FUZZ_CHECK(in.size() % 4 != 1);
  FUZZ_CHECK(std::all_of(in.begin(), in.end(), IsUrlChar));
  FUZZ_CHECK(reg::Base64UrlEncode(*dec) == in);
}

void CheckStd(std::string_view in, bool pad) {
  const std::string enc = reg::Base64Encode(in, pad);
  if (pad) FUZZ_CHECK(enc.size() % 4 == 0);
  const std::optional<std::string> back = reg::Base64Decode(enc, pad);
  FUZZ_CHECK(back.has_value() && *back == in);

  const std::optional<std::string> dec = reg::Base64Decode(in, pad);
  if (!dec) return;
  FUZZ_CHECK(reg::Base64Encode(*dec, pad) == in);
  const std::string_view body = in.substr(0, in.find('='));
  FUZZ_CHECK(std::all_of(body.begin(), body.end(), IsStdChar));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view in = fuzz::AsView(data, size);
  CheckUrl(in);
  CheckStd(in, true);
  CheckStd(in, false);

  const bool looks = reg::LooksLikeToken(in);
  FUZZ_CHECK(looks == (in.size() >= 43 && in.size() <= 128 &&
                       std::all_of(in.begin(), in.end(), IsUrlChar)));

  const std::string hex = reg::HexEncode(in);
  FUZZ_CHECK(hex.size() == 2 * in.size());
  FUZZ_CHECK(std::all_of(hex.begin(), hex.end(), IsLowerHex));
  if (looks) {
    const std::string hash = reg::TokenHash(in);
    FUZZ_CHECK(hash.size() == 64);
    FUZZ_CHECK(std::all_of(hash.begin(), hash.end(), IsLowerHex));
  }
  return 0;
}
