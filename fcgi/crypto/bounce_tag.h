// Bounce tags (CONTRACT section 8): with BOUNCE_ADDRESS set, each mail's
// envelope sender is that address with a tag after '+', so a delivery
// status notification coming back names its job, and only a tag this
// service made is believed. The tag is lowercase letters and digits only
// (it survives local(8)'s case folding):
//   "j" <job id> "t" <creation time, Unix seconds> (both decimal)
//   "m" <16 characters of base32: 80 bits of HMAC-SHA256>
// The HMAC covers the job id, the recipient (ASCII-lowercased) and the
// creation time, under a key of its own derived from the job secret:
// HMAC-SHA256(secret, "registrar bounce tag v1").
#ifndef FCGI_CRYPTO_BOUNCE_TAG_H_
#define FCGI_CRYPTO_BOUNCE_TAG_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// What a well-formed tag says; its MAC is checked by BounceTagger::Check.
struct BounceTag {
  std::int64_t job_id = 0;
  std::int64_t created_s = 0;
  std::string mac;  // 16 base32 characters
};

// The tag of an envelope recipient "bounces+TAG@domain" (the part between
// the first '+' and the last '@', ASCII case ignored); InvalidArgument
// when there is none or it is not one BounceTagger makes.
Result<BounceTag> ParseBounceTag(std::string_view envelope_recipient);

// Makes and checks tags under one key. Safe for concurrent use after
// construction (const methods only); the destructor wipes the key.
class BounceTagger {
 public:
  // Derives the tags' key from "secret" (the job secret). Internal if it
  // is empty or OpenSSL fails.
  static Result<BounceTagger> Create(std::string_view secret);
  BounceTagger(const BounceTagger&) = default;
  BounceTagger& operator=(const BounceTagger&) = default;
  ~BounceTagger();

  // The tag of job "job_id" to "rcpt", created at "created_ms".
  std::string Tag(std::int64_t job_id, std::string_view rcpt,
                  std::int64_t created_ms) const;
  // "bounce_address" with the tag after '+' before its '@'.
  std::string Sender(std::string_view bounce_address, std::int64_t job_id,
                     std::string_view rcpt, std::int64_t created_ms) const;
  // True when "tag"'s MAC is the one Tag gives for its job, its creation
  // time and "rcpt" (compared in constant time).
  bool Check(const BounceTag& tag, std::string_view rcpt) const;

 private:
  explicit BounceTagger(const std::array<unsigned char, 32>& key)
      : key_(key) {}
  std::string Mac(std::int64_t job_id, std::string_view rcpt,
                  std::int64_t created_s) const;

  std::array<unsigned char, 32> key_;
};

}  // namespace reg

#endif  // FCGI_CRYPTO_BOUNCE_TAG_H_
