// What Store::Register and Store::Resend take and give (store.h): the
// registration, its limits, and the two mails prepared before the call.
#ifndef FCGI_STORAGE_REGISTRATION_H_
#define FCGI_STORAGE_REGISTRATION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace reg {

enum class MailKind { kVerify, kExists };

struct NewRegistration {
  std::string email;          // trimmed, as typed: where mail goes
  std::string email_norm;     // NormalizeEmail(email)
  std::string mailbox;        // MailboxKey(email), never "": MAIL_CAP counts it
  std::string password_hash;  // HashPassword(...)
  std::string token_hash;     // TokenHash(token) of the token in the mail
  // ReceiptHash(R) of the receipt the answer carries (CONTRACT section 8),
  // stored in the transaction of the mail it names.
  std::string receipt_hash;
  // CodeMac::Mac(mailbox, code) of the code in the verification mail,
  // kept on its token only if that mail is queued (a mail not sent has no
  // code).
  std::string code_mac;
  // A resend's: the hashes of the receipts the browser's cookie holds
  // (at most 3). The new link is for the registration one of them names,
  // else for the address's newest registration.
  std::vector<std::string> cookie_receipt_hashes;
};

struct RegisterLimits {
  std::int64_t token_ttl_ms = 86400 * 1000LL;
  int mail_cap = 3;  // mails to one mailbox per hour; 0: no cap
  // Mails per hour for the whole service (MAIL_CAP_TOTAL); 0: no cap.
  int mail_cap_total = 0;
  // A sweep leaves a new job to the post path for this long.
  std::int64_t sweep_grace_ms = 3000;
};

// A job the caller rendered and sealed before the store's transaction: a
// mail (its Message-ID and sealed message) or an event (its id and sealed
// JSON body).
struct PreparedJob {
  std::string message_id;
  std::string sealed;
};

// The two mails a registration or a resend may queue, both prepared before
// the call: the transaction picks the one the account's state decides (so
// the work before it is the same whatever the address).
struct RegistrationMails {
  PreparedJob verify;  // the verification mail, with the token's link
  PreparedJob exists;  // the "account exists" notice
};

struct RegisterOutcome {
  MailKind kind = MailKind::kVerify;
  std::int64_t job_id = 0;  // 0: over the mail cap, nothing queued
};

}  // namespace reg

#endif  // FCGI_STORAGE_REGISTRATION_H_
