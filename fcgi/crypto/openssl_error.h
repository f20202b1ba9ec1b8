// OpenSSL's error queue translated into a Status, in one place, as
// leveldb's PosixError translates errno. Thread-safe: the queue is per
// thread.
#ifndef FCGI_CRYPTO_OPENSSL_ERROR_H_
#define FCGI_CRYPTO_OPENSSL_ERROR_H_

#include "base/status.h"

namespace reg {

// The calling thread's oldest OpenSSL error as kInternal, naming the call
// that failed ("EVP_MAC_init: ..."), or "context" alone when the queue is
// empty. Clears the queue.
Status OpenSslError(const char* context);

}  // namespace reg

#endif  // FCGI_CRYPTO_OPENSSL_ERROR_H_
