// Store: accounts and verification tokens in SQLite.
#ifndef FCGI_STORAGE_STORE_H_
#define FCGI_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "storage/db.h"

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
// known (inside the transaction, so keep it quick).
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

// Not thread-safe: one Store per thread, over that thread's Database.
class Store {
 public:
  Store(Database* db, const Clock* clock) : db_(db), clock_(clock) {}

  // Records the registration and queues its mail job in one transaction.
  // A new address gets an account and a verification mail; an unverified
  // one a new token and verification mail; a verified one an "account
  // exists" notice. A taken email is not an error. Nothing is written on
  // error (SQLITE_BUSY comes back as kUnavailable).
  Result<RegisterOutcome> Register(const NewRegistration& reg,
                                   const RegisterLimits& limits,
                                   const MailRenderer& render);

  // kValid or kUsed; NotFound for an unknown token, Gone for an expired,
  // unused one. Writes nothing. "password_hash", when given, gets the
  // password hash of the registration the token was mailed for.
  Result<TokenState> CheckToken(const std::string& token_hash,
                                std::string* password_hash = nullptr);

  // Verifies the account of the token. kVerified when this call verified
  // it; kAlreadyVerified for a used token (a double click) or an account
  // another link verified first. NotFound / Gone as CheckToken.
  Result<Activation> Activate(const std::string& token_hash);

  // OK while the database answers a query.
  Status Ping();

 private:
  Status Bump(const char* counter);
  // count(*) of "sql" bound to (mailbox unless empty, since_ms).
  Result<std::int64_t> CountMailsSince(const char* sql,
                                       std::string_view mailbox,
                                       std::int64_t since_ms);
  // The counter to bump when a mail to "mailbox" now would pass MAIL_CAP
  // or MAIL_CAP_TOTAL; nullptr when it may go.
  Result<const char*> MailCapHit(const std::string& mailbox,
                                 const RegisterLimits& limits,
                                 std::int64_t now);

  Database* db_;
  const Clock* clock_;
};

// Adds "delta" to the named counter inside the caller's transaction.
Status BumpCounter(Database* db, std::string_view name, std::int64_t delta);

}  // namespace reg

#endif  // FCGI_STORAGE_STORE_H_
