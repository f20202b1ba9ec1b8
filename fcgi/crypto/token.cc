#include "crypto/token.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>

#include "base/encoding.h"
#include "crypto/openssl_error.h"

namespace reg {

Status RandomBytes(unsigned char* out, size_t n) {
  constexpr size_t kRandChunk = size_t{1} << 30;  // RAND_bytes takes an int
  while (n > 0) {
    size_t len = n < kRandChunk ? n : kRandChunk;
    if (RAND_bytes(out, static_cast<int>(len)) != 1) {
      return OpenSslError("RAND_bytes");
    }
    out += len;
    n -= len;
  }
  return Status::Ok();
}

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) !=
      1) {
    ERR_clear_error();
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

Result<std::string> NewToken() {
  unsigned char bytes[32];
  Status s = RandomBytes(bytes, sizeof bytes);
  if (!s.ok()) return s;
  return Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

namespace {

// "t" has "min" to 128 characters, each in [A-Za-z0-9_-].
bool IsBase64UrlOfLength(std::string_view t, std::size_t min) {
  if (t.size() < min || t.size() > 128) return false;
  for (char c : t) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool LooksLikeToken(std::string_view t) { return IsBase64UrlOfLength(t, 43); }

Result<std::string> NewReceiptText() {
  unsigned char bytes[16];
  Status s = RandomBytes(bytes, sizeof bytes);
  if (!s.ok()) return s;
  return Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool LooksLikeReceipt(std::string_view r) {
  return IsBase64UrlOfLength(r, 22);
}

std::string TokenHash(std::string_view token) {
  return HexEncode(Sha256(token));
}

}  // namespace reg
