#include "crypto/seal.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "crypto/evp_handles.h"
#include "crypto/job_signer.h"
#include "crypto/openssl_error.h"
#include "crypto/token.h"

namespace reg {
namespace {

constexpr std::string_view kVersion = "s1";
constexpr std::string_view kKeyLabel = "registrar outbox seal v1";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kOverhead = kVersion.size() + kNonceBytes + kTagBytes;
constexpr size_t kChunk = size_t{1} << 30;  // EVP_*Update take an int length

unsigned char* Bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

}  // namespace

Sealer::~Sealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

Result<Sealer> Sealer::Create(std::string_view secret) {
  if (secret.empty()) return Status::Internal("sealer: empty secret");
  Result<std::string> mac = HmacSha256(secret, kKeyLabel);
  if (!mac.ok()) return mac.status();
  std::array<unsigned char, 32> key;
  if (mac.value().size() != key.size()) {
    return Status::Internal("sealer: bad key length");
  }
  std::memcpy(key.data(), mac.value().data(), key.size());
  OPENSSL_cleanse(mac.value().data(), mac.value().size());
  Sealer sealer(key);
  OPENSSL_cleanse(key.data(), key.size());
  return sealer;
}

Result<std::string> Sealer::Seal(std::string_view plain) const {
  std::string out(kOverhead + plain.size(), '\0');
  std::memcpy(out.data(), kVersion.data(), kVersion.size());
  unsigned char* nonce = Bytes(out) + kVersion.size();
  unsigned char* cipher = nonce + kNonceBytes;
  unsigned char* tag = cipher + plain.size();
  Status s = RandomBytes(nonce, kNonceBytes);
  if (!s.ok()) return s;

  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("EVP_CIPHER_CTX_new");
  // GCM's default IV length is 12 bytes, our nonce size.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(),
                         nonce) != 1) {
    return OpenSslError("EVP_EncryptInit_ex");
  }
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(kVersion),
                        static_cast<int>(kVersion.size())) != 1) {
    return OpenSslError("EVP_EncryptUpdate(aad)");
  }
  size_t done = 0;
  while (done < plain.size()) {
    size_t n = std::min(plain.size() - done, kChunk);
    if (EVP_EncryptUpdate(ctx.get(), cipher + done, &len, Bytes(plain) + done,
                          static_cast<int>(n)) != 1) {
      return OpenSslError("EVP_EncryptUpdate");
    }
    done += static_cast<size_t>(len);  // GCM is a stream mode: len == n
  }
  if (done != plain.size() ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + done, &len) != 1 || len != 0) {
    return OpenSslError("EVP_EncryptFinal_ex");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                          static_cast<int>(kTagBytes), tag) != 1) {
    return OpenSslError("EVP_CTRL_GCM_GET_TAG");
  }
  return out;
}

Result<std::string> Sealer::Open(std::string_view sealed) const {
  if (sealed.substr(0, kVersion.size()) != kVersion) {
    return Status::Internal("sealed mail: bad version");
  }
  if (sealed.size() < kOverhead) {
    return Status::Internal("sealed mail: too short");
  }
  const unsigned char* nonce = Bytes(sealed) + kVersion.size();
  const unsigned char* cipher = nonce + kNonceBytes;
  size_t cipher_len = sealed.size() - kOverhead;
  const unsigned char* tag = cipher + cipher_len;

  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(),
                         nonce) != 1) {
    return OpenSslError("EVP_DecryptInit_ex");
  }
  int len = 0;
  if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(kVersion),
                        static_cast<int>(kVersion.size())) != 1) {
    return OpenSslError("EVP_DecryptUpdate(aad)");
  }
  std::string plain(cipher_len, '\0');
  size_t done = 0;
  while (done < cipher_len) {
    size_t n = std::min(cipher_len - done, kChunk);
    if (EVP_DecryptUpdate(ctx.get(), Bytes(plain) + done, &len, cipher + done,
                          static_cast<int>(n)) != 1) {
      OPENSSL_cleanse(plain.data(), plain.size());
      return OpenSslError("EVP_DecryptUpdate");
    }
    done += static_cast<size_t>(len);
  }
  // The tag is read, not written, despite the non-const parameter.
  if (done != cipher_len ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                          static_cast<int>(kTagBytes),
                          const_cast<unsigned char*>(tag)) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return OpenSslError("EVP_CTRL_GCM_SET_TAG");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), Bytes(plain) + done, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    ERR_clear_error();
    return Status::Internal("sealed mail: authentication failed");
  }
  return plain;
}

}  // namespace reg
