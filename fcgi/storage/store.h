// Store: accounts and verification tokens, as any storage engine keeps
// them. The interface speaks Status, rows and times (Unix milliseconds);
// two engines fill it, storage/sqlite/ and storage/postgres/ (see
// storage.h). No caller code runs inside a Store's transaction: what a
// write queues (a mail, an event) is rendered and sealed before the call.
#ifndef FCGI_STORAGE_STORE_H_
#define FCGI_STORAGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/account_admin.h"
#include "storage/retention.h"

namespace reg {

enum class MailKind { kVerify, kExists };

struct NewRegistration {
  std::string email;          // trimmed, as typed: where mail goes
  std::string email_norm;     // NormalizeEmail(email)
  std::string mailbox;        // MailboxKey(email), never "": MAIL_CAP counts it
  std::string password_hash;  // HashPassword(...)
  std::string token_hash;     // TokenHash(token) of the token in the mail
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

enum class TokenState { kValid, kUsed };
enum class Activation { kVerified, kAlreadyVerified };

// What a token's link is for, read without a write (Store::LookUpToken).
struct TokenInfo {
  TokenState state = TokenState::kValid;
  std::int64_t account_id = 0;
  std::string email;          // the account's, as typed, trimmed
  std::string password_hash;  // of the registration the link was mailed for
};

// The account.verified event (Channel::kWebhook) of the account a token is
// for (TokenInfo::account_id), prepared by the caller before
// Store::Activate, which queues it only if it verifies that account.
struct PreparedEvent {
  std::int64_t account_id = 0;
  PreparedJob job;  // the event's id and its sealed JSON body
  // A sweep leaves the new event to the post path for this long.
  std::int64_t sweep_grace_ms = 3000;
};

struct ActivateOutcome {
  Activation state = Activation::kVerified;
  std::int64_t event_job_id = 0;  // 0: no event queued
};

// What /internal/metrics reads of the accounts, counted from the rows (see
// OutboxStats on deleting rows).
struct StoreTotals {
  std::int64_t registrations = 0;  // mail jobs queued by registrations + capped
  std::int64_t activations = 0;    // accounts verified
  std::int64_t capped = 0;         // registrations MAIL_CAP sent nothing for
  std::int64_t capped_service = 0;      // ... MAIL_CAP_TOTAL sent nothing for
  std::int64_t retention_accounts = 0;  // accounts retention deleted
  std::int64_t retention_mail_bodies = 0;  // sealed bodies it deleted
  std::int64_t resends = 0;  // accepted resends to known addresses
};

// One Store per thread; not thread-safe. Every write is durable (on disk,
// surviving power loss) before the call returns; reads never wait for a
// writer.
class Store {
 public:
  virtual ~Store() = default;

  // Records the registration and queues its mail job in one transaction.
  // A new address gets an account and a verification mail; an unverified
  // one a new token and verification mail; a verified one an "account
  // exists" notice: the transaction picks that mail of "mails". A taken
  // email is not an error. Past a mail cap nothing is queued (job_id 0).
  // Nothing is written on error (kUnavailable when the database stayed
  // busy or could not be reached).
  Result<RegisterOutcome> Register(const NewRegistration& reg,
                                   const RegisterLimits& limits,
                                   const RegistrationMails& mails) {
    return QueueMail(reg, limits, mails, /*create=*/true);
  }

  // "Send it again" (POST /register/resend) for the address whose
  // NormalizeEmail is "email_norm", mailed at "email" (as typed): an
  // unverified account gets a new token ("token_hash") for the password of
  // its latest registration and the verification mail of "mails"; a
  // verified one the "account exists" notice; an unknown address nothing
  // (job_id 0). The mail cap counts these mails too. Nothing is written on
  // error.
  Result<RegisterOutcome> Resend(const NewRegistration& reg,
                                 const RegisterLimits& limits,
                                 const RegistrationMails& mails) {
    return QueueMail(reg, limits, mails, /*create=*/false);
  }

  // The token's state, account and password hash; NotFound for an unknown
  // token, Gone for an expired, unused one. Writes nothing.
  virtual Result<TokenInfo> LookUpToken(const std::string& token_hash) = 0;
  // LookUpToken's state (kValid or kUsed); "password_hash", when given,
  // gets the password hash of the registration the token was mailed for.
  Result<TokenState> CheckToken(const std::string& token_hash,
                                std::string* password_hash = nullptr);

  // Verifies the account of the token. kVerified when this call verified
  // it, and then queues "event" (if any) in the same transaction;
  // kAlreadyVerified for a used token (a double click) or an account
  // another link verified first. NotFound / Gone as LookUpToken; those
  // (and a used token) are answered from a read, without a write. An
  // event prepared for another account than the token's is kInternal,
  // with nothing written.
  Result<ActivateOutcome> Activate(const std::string& token_hash,
                                   const std::optional<PreparedEvent>& event);

  // The totals /internal/metrics shows, from the rows. Writes nothing.
  virtual Result<StoreTotals> Totals() = 0;

  // OK while the database answers a query.
  virtual Status Ping() = 0;

  // Deletes what "policy" says is past keeping, in one transaction (see
  // retention.h). Nothing changes on error.
  virtual Result<RetentionResult> ApplyRetention(
      const RetentionPolicy& policy) = 0;

  // The operator's look-ups (regctl account/accounts). Write nothing.
  // Accounts whose address contains "part" (case-insensitive, "" for
  // all), newest first, at most "limit".
  virtual Result<std::vector<AccountRow>> ListAccounts(const std::string& part,
                                                       int limit) = 0;
  // The account registered under "email" (compared case-insensitively, as
  // the service does). NotFound if none.
  virtual Result<AccountRow> FindAccount(const std::string& email) = 0;
  // The ids of the account's outbox jobs, oldest first.
  virtual Result<std::vector<std::int64_t>> AccountJobIds(
      std::int64_t account_id) = 0;

 protected:
  // Register ("create": an account for a new address) and Resend (no
  // account is made; reg.password_hash is "": the latest registration's).
  virtual Result<RegisterOutcome> QueueMail(const NewRegistration& reg,
                                            const RegisterLimits& limits,
                                            const RegistrationMails& mails,
                                            bool create) = 0;
  // Activate's write, for a token the read found valid: uses it and
  // verifies its account unless another link or click came first.
  virtual Result<ActivateOutcome> Verify(
      const std::string& token_hash,
      const std::optional<PreparedEvent>& event) = 0;
};

}  // namespace reg

#endif  // FCGI_STORAGE_STORE_H_
