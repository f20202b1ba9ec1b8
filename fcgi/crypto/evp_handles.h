// Owners of OpenSSL EVP handles.
#ifndef FCGI_CRYPTO_EVP_HANDLES_H_
#define FCGI_CRYPTO_EVP_HANDLES_H_

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>

#include "base/handles.h"

namespace reg {

using EvpMac = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC_free>>;
using EvpMacCtx = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX_free>>;
using EvpKdf = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF_free>>;
using EvpKdfCtx = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX_free>>;
using EvpCipherCtx =
    std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;

}  // namespace reg

#endif  // FCGI_CRYPTO_EVP_HANDLES_H_
