#include "crypto/code.h"

#include <openssl/crypto.h>

#include <cstring>

#include "base/encoding.h"
#include "crypto/job_signer.h"
#include "crypto/token.h"

namespace reg {
namespace {

constexpr std::string_view kCodeKeyLabel = "registrar code mac v1";

}  // namespace

Result<std::string> NewCode() {
  // Rejection sampling: 4 random bytes give a number below 2^32; only
  // those below the largest multiple of 10^6 are used, so every code is
  // equally likely.
  constexpr std::uint32_t kCodes = 1000000;
  constexpr std::uint32_t kLimit = 0xffffffffu - 0xffffffffu % kCodes;
  std::uint32_t n = 0;
  do {
    unsigned char b[4];
    Status s = RandomBytes(b, sizeof b);
    if (!s.ok()) return s;
    n = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
        (std::uint32_t{b[2]} << 8) | b[3];
  } while (n >= kLimit);
  n %= kCodes;
  std::string code(kCodeDigits, '0');
  for (std::size_t i = kCodeDigits; i-- > 0; n /= 10) {
    code[i] = static_cast<char>('0' + n % 10);
  }
  return code;
}

std::string NormalizeCode(std::string_view typed) {
  std::string code;
  for (char c : typed) {
    if (c == ' ' || c == '\t') continue;
    if (c < '0' || c > '9' || code.size() == kCodeDigits) return "";
    code += c;
  }
  return code.size() == kCodeDigits ? code : "";
}

Result<CodeMac> CodeMac::Create(std::string_view secret) {
  if (secret.empty()) return Status::Internal("code mac: empty secret");
  Result<std::string> mac = HmacSha256(secret, kCodeKeyLabel);
  if (!mac.ok()) return mac.status();
  std::array<unsigned char, 32> key;
  if (mac.value().size() != key.size()) {
    return Status::Internal("code mac: bad key length");
  }
  std::memcpy(key.data(), mac.value().data(), key.size());
  OPENSSL_cleanse(mac.value().data(), mac.value().size());
  CodeMac out(key);
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

CodeMac::~CodeMac() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string CodeMac::Mac(std::string_view mailbox,
                         std::string_view code) const {
  // The mailbox, a NUL (which no address holds), the code.
  std::string message(mailbox);
  message += '\0';
  message += code;
  Result<std::string> mac = HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()),
      message);
  return mac.ok() ? HexEncode(mac.value()) : std::string();
}

}  // namespace reg
