// What Store::Register and Store::Resend take and give (store.h): the
// registration, its limits, and the mails prepared before the call.
#ifndef FCGI_STORAGE_REGISTRATION_H_
#define FCGI_STORAGE_REGISTRATION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace reg {

// The verification mail, the "account exists" notice, and the "no account
// uses this address" mail (a resend for an unknown address).
enum class MailKind { kVerify, kExists, kNoAccount };

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
  // A resend's: the registration Store::ResendTarget chose (its mail is
  // dated with it); the transaction keeps to it while it exists. "" for
  // none.
  std::string registration_hash;
};

// The registration a resend's new link would be for (Store::ResendTarget):
// its hash and when it was made. Empty ("", 0) when the address has no
// unverified account.
struct ResendRegistration {
  std::string hash;  // "" for an account whose rows are from before
  std::int64_t registered_ms = 0;
};

struct RegisterLimits {
  std::int64_t token_ttl_ms = 86400 * 1000LL;
  int mail_cap = 3;  // mails to one mailbox per hour; 0: no cap
  // Mails to one mailbox per day (MailCapDay), while mail_cap is on; 0:
  // no day cap.
  int mail_cap_day = 10;
  // Mails per hour to one recipient domain (MAIL_CAP_TOTAL, MailDomain);
  // past it a mail is delayed, not dropped. 0: no cap.
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

// The mails a registration or a resend may queue, all prepared before the
// call: the transaction picks the one the account's state decides (so the
// work before it is the same whatever the address).
struct RegistrationMails {
  PreparedJob verify;  // the verification mail, with the token's link
  PreparedJob exists;  // the "account exists" notice
  // "No account uses this address": a resend's only (a registration makes
  // the account, so never queues it, and leaves it empty).
  PreparedJob no_account;
};

struct RegisterOutcome {
  MailKind kind = MailKind::kVerify;
  std::int64_t job_id = 0;  // 0: over the mail cap, nothing queued
  // MAIL_CAP_TOTAL delayed the job until then (the sweeper sends it when
  // due); 0: it may go at once.
  std::int64_t delayed_until_ms = 0;
  // The job to post for sending right after the answer: 0 for none or a
  // delayed one.
  std::int64_t job_to_post() const {
    return delayed_until_ms == 0 ? job_id : 0;
  }
};

}  // namespace reg

#endif  // FCGI_STORAGE_REGISTRATION_H_
