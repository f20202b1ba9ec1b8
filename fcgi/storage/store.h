// Store: accounts and verification tokens, as any storage engine keeps
// them. The interface speaks Status, rows and times (Unix milliseconds);
// storage/sqlite/ is one engine behind it.
#ifndef FCGI_STORAGE_STORE_H_
#define FCGI_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
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
  std::string mailbox;        // MailboxKey(email): what MAIL_CAP counts
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

// The mail to queue, rendered and sealed by the caller once the kind is
// known.
struct PreparedMail {
  std::string message_id;
  std::string sealed;
};
using MailRenderer = std::function<Result<PreparedMail>(MailKind)>;

struct RegisterOutcome {
  MailKind kind = MailKind::kVerify;
  std::int64_t job_id = 0;  // 0: over the mail cap, nothing queued
};

enum class TokenState { kValid, kUsed };
enum class Activation { kVerified, kAlreadyVerified };

// The account a link has just verified, for its account.verified event.
struct VerifiedAccount {
  std::int64_t id = 0;
  std::string email;  // as typed at registration, trimmed
  std::int64_t verified_ms = 0;
};

// The event a first verification queues (Channel::kWebhook), in the
// verifying transaction. An empty "render": no events (no WEBHOOK_URL).
struct EventSpec {
  // The event's id (PreparedMail::message_id) and its sealed JSON body.
  std::function<Result<PreparedMail>(const VerifiedAccount&)> render;
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

  // Records the registration and queues its mail job (Outbox::Enqueue) in
  // one transaction. A new address gets an account and a verification
  // mail; an unverified one a new token and verification mail; a verified
  // one an "account exists" notice. A taken email is not an error.
  // "render" is called before the transaction, and again inside it only
  // if the account changed in between. Nothing is written on error
  // (kUnavailable when the database stayed busy).
  virtual Result<RegisterOutcome> Register(const NewRegistration& reg,
                                           const RegisterLimits& limits,
                                           const MailRenderer& render) = 0;

  // "Send it again" (POST /register/resend) for the address whose
  // NormalizeEmail is "email_norm", mailed at "email" (as typed): an
  // unverified account gets a new token ("token_hash") for the password of
  // its latest registration and a verification mail; a verified one the
  // "account exists" notice; an unknown address nothing (job_id 0). The
  // mail cap counts these mails too. Nothing is written on error.
  virtual Result<RegisterOutcome> Resend(const NewRegistration& reg,
                                         const RegisterLimits& limits,
                                         const MailRenderer& render) = 0;

  // kValid or kUsed; NotFound for an unknown token, Gone for an expired,
  // unused one. Writes nothing. "password_hash", when given, gets the
  // password hash of the registration the token was mailed for.
  virtual Result<TokenState> CheckToken(const std::string& token_hash,
                                        std::string* password_hash) = 0;
  Result<TokenState> CheckToken(const std::string& token_hash) {
    return CheckToken(token_hash, nullptr);
  }

  // Verifies the account of the token. kVerified when this call verified
  // it, and then queues the event of "events" in the same transaction;
  // kAlreadyVerified for a used token (a double click) or an account
  // another link verified first. NotFound / Gone as CheckToken; those
  // (and a used token) are answered from a read, without a write.
  virtual Result<ActivateOutcome> Activate(const std::string& token_hash,
                                           const EventSpec& events) = 0;

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
};

}  // namespace reg

#endif  // FCGI_STORAGE_STORE_H_
