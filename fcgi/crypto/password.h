// Password hashing with scrypt (RFC 7914) through OpenSSL 3's EVP_KDF.
// Each hash string carries its own cost, so the cost can rise later and
// old hashes still verify. Every function here is thread-safe.
//
// Memory: one hash needs about 128 * r * 2^log2_n bytes (128 MiB at the
// defaults) for the ~0.4 s it runs; callers bound how many run at once.
#ifndef FCGI_CRYPTO_PASSWORD_H_
#define FCGI_CRYPTO_PASSWORD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// scrypt cost. N = 2^log2_n.
struct ScryptParams {
  // CPU/memory cost: N = 2^17, about 0.4 s and 128 MiB per hash.
  int log2_n = 17;
  // Block size.
  int r = 8;
  // Parallelism (OpenSSL computes the p lanes one after another).
  int p = 1;
};

// Bounds accepted by Scrypt and in hash strings.
inline constexpr int kMinScryptLog2N = 1;
inline constexpr int kMaxScryptLog2N = 20;
inline constexpr int kMaxScryptR = 8;
inline constexpr int kMaxScryptP = 16;

// Derives out_len bytes from password and salt into out[0, out_len).
// Returns Internal if a parameter is outside the bounds above, out_len is
// 0, or OpenSSL fails (out's contents are then unspecified). OpenSSL's
// memory limit (maxmem) is set to what the parameters need plus 16 MiB.
// REQUIRES: out points to out_len writable bytes.
Status Scrypt(std::string_view password, std::string_view salt,
              const ScryptParams& params, unsigned char* out, size_t out_len);

// Hashes "password" with a fresh 16-byte random salt into a 32-byte key and
// returns the PHC-style string
//   $scrypt$ln=<log2_n>,r=<r>,p=<p>$<salt>$<key>
// where salt and key are standard base64 without padding. Returns Internal
// on bad params or an OpenSSL failure.
Result<std::string> HashPassword(std::string_view password,
                                 const ScryptParams& params);

// Whether "password" matches "encoded" (a HashPassword string), compared in
// constant time. Returns Malformed if "encoded" is not exactly of that form:
// decimal numbers without sign or leading zeros, ln in [1, 20], r in
// [1, 8], p in [1, 16] (the bounds above), a salt of 8..64 bytes and a key
// of 16..64 bytes, both strictly encoded. Returns Internal if OpenSSL
// fails. A wrong password is not an error: the value is false.
Result<bool> VerifyPassword(std::string_view password,
                            std::string_view encoded);

// True when "encoded" was made with a cost other than "params" (so the
// caller should store a new hash after a successful verify). Also true when
// "encoded" does not parse.
bool NeedsRehash(std::string_view encoded, const ScryptParams& params);

}  // namespace reg

#endif  // FCGI_CRYPTO_PASSWORD_H_
