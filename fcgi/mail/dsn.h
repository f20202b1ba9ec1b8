// Delivery status notifications (RFC 3464, and RFC 6533's
// message/global-delivery-status) as `regctl bounce` reads them: which
// recipients a report names, with their Action, Status and
// Diagnostic-Code. Parsing only: what a report changes is the storage's
// business (storage/bounces.h).
#ifndef FCGI_MAIL_DSN_H_
#define FCGI_MAIL_DSN_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace reg {

// The largest message `regctl bounce` reads.
constexpr std::size_t kMaxDsnBytes = 1 << 20;

// One per-recipient group of a report.
struct DsnRecipient {
  std::string original_recipient;  // its address ("" when absent)
  std::string final_recipient;
  std::string action;      // lowercased: failed, delayed, delivered, ...
  std::string status;      // "5.1.1" ("" when absent or malformed)
  std::string diagnostic;  // Diagnostic-Code after its type: printable
                           // ASCII, at most 200 characters
};

struct Dsn {
  enum class Kind {
    kReport,     // a delivery status notification
    kAutoReply,  // an automatic reply (vacation, out of office)
    kOther,      // anything else: no report in it
  };
  Kind kind = Kind::kOther;
  std::vector<DsnRecipient> recipients;
};

// Reads one message: a leading "From " line and bare LF line ends are
// accepted. Never fails: what is no report is kOther (or kAutoReply). Only
// the report parts of the message's own multipart tree are read, never one
// inside a returned message (message/rfc822).
Dsn ParseDsn(std::string_view message);

// The group whose Original-Recipient, else (when it has none) whose
// Final-Recipient, is "rcpt" (ASCII case ignored); null when none is.
const DsnRecipient* GroupFor(const Dsn& dsn, std::string_view rcpt);

}  // namespace reg

#endif  // FCGI_MAIL_DSN_H_
