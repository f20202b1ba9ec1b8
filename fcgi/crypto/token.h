// Random bytes and the opaque tokens mailed to users (encodings are in
// base/encoding.h).
// Every function here is thread-safe.
#ifndef FCGI_CRYPTO_TOKEN_H_
#define FCGI_CRYPTO_TOKEN_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// Fills out[0, n) from the OpenSSL CSPRNG. Returns Internal when the
// generator fails; out's contents are then unspecified.
// REQUIRES: out points to n writable bytes (or n == 0).
Status RandomBytes(unsigned char* out, size_t n);

// The raw 32-byte SHA-256 digest of "data". Returns "" only if OpenSSL
// itself fails, which does not happen with the default provider loaded.
std::string Sha256(std::string_view data);

// A fresh token: base64url of 32 random bytes, exactly 43 characters.
// Returns Internal when the random generator fails.
Result<std::string> NewToken();

// True when "t" could be a token: 43 to 128 characters, each in
// [A-Za-z0-9_-]. Cheap; run it before any lookup.
bool LooksLikeToken(std::string_view t);

// A fresh receipt (CONTRACT section 8): base64url of 16 random bytes,
// exactly 22 characters. Internal when the random generator fails.
Result<std::string> NewReceiptText();

// True when "r" could be a receipt: 22 to 128 characters of
// [A-Za-z0-9_-]. Cheap; run it before any lookup.
bool LooksLikeReceipt(std::string_view r);

// Lowercase hex SHA-256 of the token text (64 characters). The database
// stores this, never the token itself.
std::string TokenHash(std::string_view token);

// The same for a receipt: what the database stores of it.
inline std::string ReceiptHash(std::string_view receipt) {
  return TokenHash(receipt);
}

}  // namespace reg

#endif  // FCGI_CRYPTO_TOKEN_H_
