// The signed job (a mail or an event, posted to /internal/mail): each job
// request carries its timestamp (decimal unix seconds) and the header
//   X-Job-Signature: v1=<lowercase hex HMAC-SHA256(key, "<ts>.<raw body>")>
// where the key is the 64 hex characters of the secret file, used as ASCII
// bytes (not decoded). The secret file itself: crypto/secret_file.h.
#ifndef FCGI_CRYPTO_JOB_SIGNER_H_
#define FCGI_CRYPTO_JOB_SIGNER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "crypto/evp_handles.h"

namespace reg {

// The raw 32-byte HMAC-SHA256 of "message" under "key". Returns Internal if
// OpenSSL fails. Thread-safe. Fetches the MAC on each call; use JobSigner
// for repeated work.
Result<std::string> HmacSha256(std::string_view key, std::string_view message);

// The job secret's fingerprint, stored in a database that several hosts
// share so that a host with another secret refuses to start: lowercase hex
// of HMAC-SHA256(secret, "registrar job secret fingerprint v1"). Tells
// nothing of the secret. Internal if OpenSSL fails.
Result<std::string> JobSecretFingerprint(std::string_view secret);

// Signs and verifies job requests with one key. After construction a
// JobSigner is safe for concurrent use from many threads (const methods
// only; each call uses its own EVP_MAC_CTX). Movable, not copyable; a
// moved-from JobSigner must not be used.
class JobSigner {
 public:
  // Verify rejects timestamps further than this from now, either way.
  static constexpr int kMaxSkewS = 300;

  // Fetches HMAC once for the signer's lifetime. Returns Internal if "key"
  // is empty or OpenSSL fails.
  static Result<JobSigner> Create(std::string key);

  JobSigner(JobSigner&&) noexcept = default;
  JobSigner& operator=(JobSigner&&) noexcept = default;
  JobSigner(const JobSigner&) = delete;
  JobSigner& operator=(const JobSigner&) = delete;

  // The X-Job-Signature value for "body" sent at "timestamp" (unix seconds):
  // "v1=" followed by 64 lowercase hex characters. Returns "" if OpenSSL
  // fails; an empty signature never verifies, so the job is then refused
  // by the receiver rather than sent unsigned.
  std::string Sign(std::int64_t timestamp, std::string_view body) const;

  // OK if the headers authenticate "body" at time "now_s" (unix seconds).
  // Otherwise Unauthenticated with a short reason and no secret material:
  // the timestamp is not 1 to 12 ASCII digits, or is more than kMaxSkewS
  // from now_s; the signature is not exactly "v1=" + 64 lowercase hex
  // characters; or it does not match (compared in constant time). The MAC
  // covers the timestamp header text exactly as received. Internal if
  // OpenSSL fails.
  Status Verify(std::string_view timestamp_header,
                std::string_view signature_header, std::string_view body,
                std::int64_t now_s) const;

 private:
  JobSigner(std::string key, EvpMac mac)
      : key_(std::move(key)), mac_(std::move(mac)) {}

  // Raw 32-byte MAC of "<timestamp>.<body>".
  Result<std::string> Mac(std::string_view timestamp,
                          std::string_view body) const;

  std::string key_;
  EvpMac mac_;
};

}  // namespace reg

#endif  // FCGI_CRYPTO_JOB_SIGNER_H_
