// Random bytes, encodings and the opaque tokens mailed to users.
// Every function here is thread-safe.
#ifndef FCGI_CRYPTO_TOKEN_H_
#define FCGI_CRYPTO_TOKEN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// Fills out[0, n) from the OpenSSL CSPRNG. Returns Internal when the
// generator fails; out's contents are then unspecified.
// REQUIRES: out points to n writable bytes (or n == 0).
Status RandomBytes(unsigned char* out, size_t n);

// RFC 4648 section 5 ("base64url": '-' and '_'), without padding.
std::string Base64UrlEncode(std::string_view bytes);

// Strict inverse of Base64UrlEncode. Returns nullopt unless "text" is made
// only of the base64url alphabet (no '=' padding, no whitespace), its length
// is possible (length % 4 != 1) and the unused trailing bits are zero, so
// every byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// RFC 4648 section 4 (standard alphabet, '+' and '/'). With "pad", the
// output is '='-padded to a multiple of 4 (MIME); without, the padding is
// left off (PHC strings).
std::string Base64Encode(std::string_view bytes, bool pad = true);

// Strict inverse of Base64Encode(bytes, pad): with "pad" the text must carry
// exactly the padding Base64Encode writes; without, it must carry none. The
// same alphabet, length and trailing-bit rules as Base64UrlDecode apply.
std::optional<std::string> Base64Decode(std::string_view text, bool pad = true);

// Lowercase hexadecimal, two characters per byte.
std::string HexEncode(std::string_view bytes);

// The raw 32-byte SHA-256 digest of "data". Returns "" only if OpenSSL
// itself fails, which does not happen with the default provider loaded.
std::string Sha256(std::string_view data);

// A fresh token: base64url of 32 random bytes, exactly 43 characters.
// Returns Internal when the random generator fails.
Result<std::string> NewToken();

// True when "t" could be a token: 43 to 128 characters, each in
// [A-Za-z0-9_-]. Cheap; run it before any lookup.
bool LooksLikeToken(std::string_view t);

// Lowercase hex SHA-256 of the token text (64 characters). The database
// stores this, never the token itself.
std::string TokenHash(std::string_view token);

}  // namespace reg

#endif  // FCGI_CRYPTO_TOKEN_H_
