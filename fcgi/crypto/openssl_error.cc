#include "crypto/openssl_error.h"

#include <openssl/err.h>

#include <string>

namespace reg {

Status OpenSslError(const char* context) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  std::string message = context;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  return Status::Internal(std::move(message));
}

}  // namespace reg
