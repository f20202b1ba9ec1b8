#include "crypto/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstdint>
#include <optional>

#include "base/encoding.h"
#include "crypto/evp_handles.h"
#include "crypto/openssl_error.h"
#include "crypto/token.h"

namespace reg {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr size_t kMinSaltBytes = 8;
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinKeyBytes = 16;
constexpr size_t kMaxKeyBytes = 64;
constexpr std::uint64_t kMaxMemMargin = std::uint64_t{16} << 20;  // 16 MiB

bool ValidParams(const ScryptParams& params) {
  return params.log2_n >= kMinScryptLog2N && params.log2_n <= kMaxScryptLog2N &&
         params.r >= 1 && params.r <= kMaxScryptR && params.p >= 1 &&
         params.p <= kMaxScryptP;
}

std::string_view AsView(const unsigned char* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// A parsed hash string.
struct Encoded {
  ScryptParams params;
  std::string salt;
  std::string key;
};

// Consumes "prefix" from the front of *s; false (and *s unchanged) if absent.
bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// Consumes a decimal in [lo, hi], without sign or leading zeros.
bool ConsumeInt(std::string_view* s, int lo, int hi, int* out) {
  size_t n = 0;
  while (n < s->size() && n < 3 && (*s)[n] >= '0' && (*s)[n] <= '9') ++n;
  if (n == 0 || (n > 1 && (*s)[0] == '0')) return false;
  if (n < s->size() && (*s)[n] >= '0' && (*s)[n] <= '9') return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + ((*s)[i] - '0');
  if (v < lo || v > hi) return false;
  *out = v;
  s->remove_prefix(n);
  return true;
}

std::optional<Encoded> Parse(std::string_view s) {
  Encoded e;
  if (!Consume(&s, "$scrypt$ln=") ||
      !ConsumeInt(&s, kMinScryptLog2N, kMaxScryptLog2N, &e.params.log2_n) ||
      !Consume(&s, ",r=") || !ConsumeInt(&s, 1, kMaxScryptR, &e.params.r) ||
      !Consume(&s, ",p=") || !ConsumeInt(&s, 1, kMaxScryptP, &e.params.p) ||
      !Consume(&s, "$")) {
    return std::nullopt;
  }
  size_t dollar = s.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  std::optional<std::string> salt = Base64Decode(s.substr(0, dollar), false);
  std::optional<std::string> key = Base64Decode(s.substr(dollar + 1), false);
  if (!salt || !key) return std::nullopt;  // also rejects a third '$'
  if (salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes ||
      key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) {
    return std::nullopt;
  }
  e.salt = std::move(*salt);
  e.key = std::move(*key);
  return e;
}

}  // namespace

Status Scrypt(std::string_view password, std::string_view salt,
              const ScryptParams& params, unsigned char* out, size_t out_len) {
  if (!ValidParams(params)) return Status::Internal("scrypt: bad parameters");
  if (out_len == 0) return Status::Internal("scrypt: empty output");
  std::uint64_t n = std::uint64_t{1} << params.log2_n;
  std::uint32_t r = static_cast<std::uint32_t>(params.r);
  std::uint32_t p = static_cast<std::uint32_t>(params.p);
  // At most 2^7 * 2^3 * 2^20 * 2^4 = 2^34: no overflow within the bounds.
  std::uint64_t maxmem = 128 * r * n * p + 128 * r * p + kMaxMemMargin;

  EvpKdf kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_SCRYPT, nullptr));
  if (!kdf) return OpenSslError("EVP_KDF_fetch(SCRYPT)");
  EvpKdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return OpenSslError("EVP_KDF_CTX_new");

  // OpenSSL copies the octet strings; it needs a non-null pointer even for
  // an empty one.
  static const char kEmpty[1] = {0};
  void* pw = const_cast<char*>(password.empty() ? kEmpty : password.data());
  void* sa = const_cast<char*>(salt.empty() ? kEmpty : salt.data());
  OSSL_PARAM ps[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pw,
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, sa, salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_derive(ctx.get(), out, out_len, ps) != 1) {
    return OpenSslError("EVP_KDF_derive(SCRYPT)");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password,
                                 const ScryptParams& params) {
  unsigned char salt[kSaltBytes];
  Status s = RandomBytes(salt, sizeof salt);
  if (!s.ok()) return s;
  unsigned char key[kKeyBytes];
  s = Scrypt(password, AsView(salt, sizeof salt), params, key, sizeof key);
  if (!s.ok()) return s;
  std::string encoded = "$scrypt$ln=" + std::to_string(params.log2_n) +
                        ",r=" + std::to_string(params.r) +
                        ",p=" + std::to_string(params.p) + "$" +
                        Base64Encode(AsView(salt, sizeof salt), false) + "$" +
                        Base64Encode(AsView(key, sizeof key), false);
  OPENSSL_cleanse(key, sizeof key);
  return encoded;
}

Result<bool> VerifyPassword(std::string_view password,
                            std::string_view encoded) {
  std::optional<Encoded> e = Parse(encoded);
  if (!e) return Status::Malformed("password hash: not a valid scrypt string");
  unsigned char key[kMaxKeyBytes];
  Status s = Scrypt(password, e->salt, e->params, key, e->key.size());
  if (!s.ok()) return s;
  bool match = CRYPTO_memcmp(key, Bytes(e->key), e->key.size()) == 0;
  OPENSSL_cleanse(key, sizeof key);
  return match;
}

bool NeedsRehash(std::string_view encoded, const ScryptParams& params) {
  std::optional<Encoded> e = Parse(encoded);
  if (!e) return true;
  return e->params.log2_n != params.log2_n || e->params.r != params.r ||
         e->params.p != params.p;
}

}  // namespace reg
