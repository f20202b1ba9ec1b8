// The 6-digit code of a verification mail (CONTRACT section 8): made
// here, typed back by the person, and kept by the database only as a MAC
// under a key derived from the job secret for codes alone.
// Every function here is thread-safe.
#ifndef FCGI_CRYPTO_CODE_H_
#define FCGI_CRYPTO_CODE_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// Digits in a code.
constexpr std::size_t kCodeDigits = 6;

// A fresh code: kCodeDigits ASCII digits, uniform over 000000-999999.
// Internal when the random generator fails.
Result<std::string> NewCode();

// The code as typed: ASCII spaces (and tabs) anywhere are dropped; the
// rest must be exactly kCodeDigits ASCII digits. "" for anything else.
std::string NormalizeCode(std::string_view typed);

// The MAC of a code. Copyable; the destructor wipes the key.
class CodeMac {
 public:
  // Derives the key as HMAC-SHA256(secret, "registrar code mac v1").
  // Internal if "secret" is empty or OpenSSL fails.
  static Result<CodeMac> Create(std::string_view secret);

  CodeMac(const CodeMac&) = default;
  CodeMac& operator=(const CodeMac&) = default;
  ~CodeMac();

  // Lowercase hex HMAC-SHA256 of the code for "mailbox" (MailboxKey of
  // the address it was mailed to): 64 characters; "" only if OpenSSL
  // fails. The same work whatever the arguments.
  std::string Mac(std::string_view mailbox, std::string_view code) const;

 private:
  explicit CodeMac(const std::array<unsigned char, 32>& key) : key_(key) {}
  std::array<unsigned char, 32> key_;
};

}  // namespace reg

#endif  // FCGI_CRYPTO_CODE_H_
