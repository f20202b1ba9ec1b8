// What `regctl bounce` decides before it opens the database: whether a
// message handed over for envelope recipient "bounces+TAG@..." is a
// notification about the mail that tag names, for that mail's recipient.
// A message without a tag, with a tag this service did not make, or whose
// groups name no recipient the tag was made for, is ignored here.
#ifndef FCGI_MAIL_BOUNCE_H_
#define FCGI_MAIL_BOUNCE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bounce_tag.h"

namespace reg {

struct BounceVerdict {
  bool record = false;  // false: ignore it, for "why"
  std::string why;      // what was found, for the log (no secret in it)
  std::int64_t job_id = 0;
  std::int64_t created_s = 0;
  std::string rcpt;    // the group's recipient, the one the tag binds
  std::string action;  // "failed" or "delayed"
  std::string status;
  std::string diagnostic;
};

// Checks the tag of "envelope_recipient" under "tagger" against the
// recipient groups of "message" (ParseDsn).
BounceVerdict ReadBounce(std::string_view message,
                         std::string_view envelope_recipient,
                         const BounceTagger& tagger);

}  // namespace reg

#endif  // FCGI_MAIL_BOUNCE_H_
