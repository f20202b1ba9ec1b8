#include "crypto/bounce_tag.h"

#include <openssl/crypto.h>

#include <cstring>

#include "crypto/job_signer.h"

namespace reg {
namespace {

constexpr std::string_view kTagKeyLabel = "registrar bounce tag v1";
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t kMacChars = 16;  // 80 bits
// A decimal number of 1 to 15 digits, no leading zero; -1 otherwise.
std::int64_t FromDecimal(std::string_view s) {
  if (s.empty() || s.size() > 15 || s[0] == '0') return -1;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

char LowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

}  // namespace

Result<BounceTag> ParseBounceTag(std::string_view rcpt) {
  const std::size_t at = rcpt.rfind('@');
  const std::size_t plus = rcpt.find('+');
  if (at == std::string_view::npos || plus == std::string_view::npos ||
      plus > at) {
    return Status::InvalidArgument("no bounce tag");
  }
  const std::string tag = LowerCopy(rcpt.substr(plus + 1, at - plus - 1));
  const std::size_t t = tag.find('t');
  const std::size_t m = tag.find('m', t == std::string::npos ? 0 : t);
  if (tag.empty() || tag[0] != 'j' || t == std::string::npos ||
      m == std::string::npos || tag.size() - m - 1 != kMacChars) {
    return Status::InvalidArgument("malformed bounce tag");
  }
  BounceTag out;
  out.job_id = FromDecimal(std::string_view(tag).substr(1, t - 1));
  out.created_s = FromDecimal(std::string_view(tag).substr(t + 1, m - t - 1));
  out.mac = tag.substr(m + 1);
  for (char c : out.mac) {
    if (std::strchr(kBase32, c) == nullptr) out.job_id = -1;
  }
  if (out.job_id <= 0 || out.created_s < 0) {
    return Status::InvalidArgument("malformed bounce tag");
  }
  return out;
}

Result<BounceTagger> BounceTagger::Create(std::string_view secret) {
  if (secret.empty()) return Status::Internal("bounce tags: empty secret");
  Result<std::string> mac = HmacSha256(secret, kTagKeyLabel);
  if (!mac.ok()) return mac.status();
  std::array<unsigned char, 32> key;
  if (mac.value().size() != key.size()) {
    return Status::Internal("bounce tags: bad key length");
  }
  std::memcpy(key.data(), mac.value().data(), key.size());
  OPENSSL_cleanse(mac.value().data(), mac.value().size());
  BounceTagger tagger(key);
  OPENSSL_cleanse(key.data(), key.size());
  return tagger;
}

BounceTagger::~BounceTagger() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string BounceTagger::Mac(std::int64_t job_id, std::string_view rcpt,
                              std::int64_t created_s) const {
  const std::string message = std::to_string(job_id) + "\n" +
                              LowerCopy(rcpt) + "\n" +
                              std::to_string(created_s);
  Result<std::string> mac = HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()),
      message);
  if (!mac.ok()) return "";  // matches no tag
  // The first 80 bits, 5 at a time.
  const std::string& b = mac.value();
  std::string out;
  for (std::size_t bit = 0; bit < kMacChars * 5; bit += 5) {
    int v = 0;
    for (int i = 0; i < 5; i++) {
      const std::size_t k = bit + static_cast<std::size_t>(i);
      v = (v << 1) | ((static_cast<unsigned char>(b[k / 8]) >> (7 - k % 8)) & 1);
    }
    out += kBase32[v];
  }
  return out;
}

std::string BounceTagger::Tag(std::int64_t job_id, std::string_view rcpt,
                              std::int64_t created_ms) const {
  const std::int64_t created_s = created_ms / 1000;
  return "j" + std::to_string(job_id) + "t" + std::to_string(created_s) + "m" +
         Mac(job_id, rcpt, created_s);
}

std::string BounceTagger::Sender(std::string_view bounce_address,
                                 std::int64_t job_id, std::string_view rcpt,
                                 std::int64_t created_ms) const {
  const std::size_t at = bounce_address.rfind('@');
  if (at == std::string_view::npos) return std::string(bounce_address);
  return std::string(bounce_address.substr(0, at)) + "+" +
         Tag(job_id, rcpt, created_ms) + std::string(bounce_address.substr(at));
}

bool BounceTagger::Check(const BounceTag& tag, std::string_view rcpt) const {
  const std::string want = Mac(tag.job_id, rcpt, tag.created_s);
  return want.size() == kMacChars && tag.mac.size() == kMacChars &&
         CRYPTO_memcmp(want.data(), tag.mac.data(), kMacChars) == 0;
}

}  // namespace reg
