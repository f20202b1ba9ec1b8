// Owners of OpenSSL EVP handles, and bytes as OpenSSL takes them.
#ifndef FCGI_CRYPTO_EVP_HANDLES_H_
#define FCGI_CRYPTO_EVP_HANDLES_H_

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string_view>

#include "base/handles.h"

namespace reg {

using EvpMac = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC_free>>;
using EvpMacCtx = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX_free>>;
using EvpKdf = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF_free>>;
using EvpKdfCtx = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX_free>>;
using EvpCipherCtx =
    std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;

// The bytes of "s" as OpenSSL's calls take them.
inline const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace reg

#endif  // FCGI_CRYPTO_EVP_HANDLES_H_
