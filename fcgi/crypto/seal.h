// Sealing of rendered mails kept in the outbox, so the database never holds
// a verification token in clear. Authenticated encryption (AES-256-GCM)
// under a key derived from the job secret.
#ifndef FCGI_CRYPTO_SEAL_H_
#define FCGI_CRYPTO_SEAL_H_

#include <array>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// Seals and opens outbox mails with one key. After construction a Sealer
// is safe for concurrent use from many threads (const methods only; each
// call uses its own cipher context). Movable and copyable; the destructor
// wipes the key.
//
// Sealed format: "s1" || 12-byte random nonce || ciphertext || 16-byte GCM
// tag, where "s1" is also authenticated as associated data. The ciphertext
// is as long as the plaintext, so a sealed mail is 30 bytes longer.
class Sealer {
 public:
  // Derives the key as HMAC-SHA256(secret, "registrar outbox seal v1").
  // Returns Internal if "secret" is empty or OpenSSL fails.
  static Result<Sealer> Create(std::string_view secret);

  Sealer(const Sealer&) = default;
  Sealer& operator=(const Sealer&) = default;
  Sealer(Sealer&&) noexcept = default;
  Sealer& operator=(Sealer&&) noexcept = default;
  ~Sealer();

  // Encrypts "plain" under a fresh random nonce; two seals of the same text
  // differ. Returns Internal if the random generator or OpenSSL fails.
  Result<std::string> Seal(std::string_view plain) const;

  // The plaintext of a Seal() output under the same key. Returns Internal
  // ("sealed mail: bad version" / "too short" / "authentication failed")
  // for anything else, including any altered byte or another key; no
  // plaintext is released then.
  Result<std::string> Open(std::string_view sealed) const;

 private:
  explicit Sealer(const std::array<unsigned char, 32>& key) : key_(key) {}

  std::array<unsigned char, 32> key_;
};

}  // namespace reg

#endif  // FCGI_CRYPTO_SEAL_H_
