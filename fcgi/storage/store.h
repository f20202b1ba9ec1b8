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
#include "storage/activation.h"
#include "storage/bounces.h"
#include "storage/codes.h"
#include "storage/durability.h"
#include "storage/receipts.h"
#include "storage/registration.h"
#include "storage/retention.h"
#include "storage/rows.h"

namespace reg {

// What /internal/metrics reads of the accounts, counted from the rows (see
// OutboxStats on deleting rows).
struct StoreTotals {
  std::int64_t registrations = 0;  // mail jobs queued by registrations + capped
  std::int64_t activations = 0;    // accounts verified
  std::int64_t capped = 0;         // registrations MAIL_CAP sent nothing for
  std::int64_t retention_accounts = 0;  // accounts retention deleted
  std::int64_t retention_mail_bodies = 0;  // sealed bodies it deleted
  std::int64_t resends = 0;  // accepted resends to known addresses
  std::int64_t receipts = 0;  // receipts handed out (kept or forgotten)
  std::int64_t bounced = 0;   // mails a failed notification was recorded for
  std::int64_t suppressed_mails = 0;  // mails not sent: address suppressed
  std::int64_t addresses_suppressed = 0;  // suppressed now
  std::int64_t domain_delayed = 0;  // mails MAIL_CAP_TOTAL delayed, ever
  // Mails MAIL_CAP_TOTAL holds back now: queued for when their domain's
  // hour has room, not yet claimed.
  std::int64_t domain_held = 0;
};

// One Store per thread; not thread-safe. Every write is durable (on disk,
// surviving power loss) before the call returns; reads never wait for a
// writer.
class Store {
 public:
  virtual ~Store() = default;

  // Records the registration and queues its mail job in one transaction,
  // with the receipt reg.receipt_hash naming that mail (or saying why none
  // was queued).
  // A new address gets an account and a verification mail; an unverified
  // one a new token and verification mail; a verified one an "account
  // exists" notice: the transaction picks that mail of "mails". A taken
  // email is not an error. Past MAIL_CAP nothing is queued (job_id 0);
  // past MAIL_CAP_TOTAL the mail is queued, due later (delayed_until_ms).
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
  // the registration reg.registration_hash (ResendTarget's) while it
  // exists, else of the one whose receipt the cookie holds, else of the
  // newest, and the verification mail of "mails"; a verified one the
  // "account exists" notice; an unknown address the "no account uses this
  // address" mail (a job of no account). The mail cap counts these mails
  // too. Every case stores the receipt reg.receipt_hash, naming its mail or
  // why none was queued. Nothing is written on error.
  Result<RegisterOutcome> Resend(const NewRegistration& reg,
                                 const RegisterLimits& limits,
                                 const RegistrationMails& mails) {
    return QueueMail(reg, limits, mails, /*create=*/false);
  }

  // The registration a resend for "reg" would mint its link for (the one
  // whose own receipt reg.cookie_receipt_hashes holds, else the newest),
  // read before the resend so its mail can be dated with it: empty when
  // the address has no unverified account. Writes nothing.
  virtual Result<ResendRegistration> ResendTarget(
      const NewRegistration& reg) = 0;

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

  // What became of the mail of the receipt whose hash is "receipt_hash"
  // (ReceiptStatusOf). NotFound for an unknown or expired receipt. Writes
  // nothing.
  Result<ReceiptStatus> Receipt(const std::string& receipt_hash);

  // True when one of "receipt_hashes" (a cookie's) is the own receipt of
  // the POST /register that made registration "registration_hash"
  // (TokenInfo), still valid. Writes nothing.
  virtual Result<bool> ReceiptProves(
      const std::vector<std::string>& receipt_hashes,
      const std::string& registration_hash) = 0;

  // For the page of the resend receipt "resend_hash": of "receipt_hashes"
  // (a cookie's), the own receipt of the POST /register whose
  // registration the resent link was minted for, while both receipts are
  // valid, that mail holds a code (it was not held back), its link is
  // unused and the account unverified: the receipt that code is typed
  // with. "" for none, and for any receipt that is not a resend's.
  // Writes nothing.
  virtual Result<std::string> ResendCodeReceipt(
      const std::string& resend_hash,
      const std::vector<std::string>& receipt_hashes) = 0;

  // Counts a wrong password typed for the token; its count now.
  virtual Result<int> CountWrongPassword(const std::string& token_hash) = 0;

  // Where wrong codes typed with the receipt "receipt_hash" count (any
  // receipt, own or a resend's); NotFound for an unknown or expired one.
  // Writes nothing.
  virtual Result<CodeReceipt> CodeReceiptOf(
      const std::string& receipt_hash) = 0;
  // Judges a code typed with a receipt (JudgeCode, codes.h) in one write
  // transaction that holds code.mailbox: a wrong one is recorded there.
  Result<CodeOutcome> TryCode(const CodeTry& code);
  // Records notification "n" (bounces.h) on its job and its history, in
  // one transaction: a failed one shows on the job's receipt as bounced,
  // and suppresses its recipient for "suppress_ms" as FailureSuppresses
  // says. kNoSuchJob, with nothing written, when no mail job has that id,
  // recipient (ASCII case ignored) and creation time (in seconds).
  Result<NotificationResult> RecordNotification(const Notification& n,
                                                std::int64_t suppress_ms);
  // The addresses suppressed now, newest first, at most "limit".
  virtual Result<std::vector<SuppressionRow>> ListSuppressions(int limit) = 0;
  // Lifts the suppression of "address" (exactly as listed): mail goes to
  // it again, and no notification about a mail from before now suppresses
  // it. NotFound when it is not suppressed.
  virtual Status Unsuppress(const std::string& address) = 0;

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
  // The facts of a live receipt; NotFound for an unknown or expired one.
  virtual Result<ReceiptFacts> LookUpReceipt(
      const std::string& receipt_hash) = 0;
  // Runs "work" in one of the engine's write transactions ("durability"),
  // with the engine's rows and the transaction's time; one that names a
  // "mailbox" takes turns with every other such write of that mailbox, on
  // any host. Nothing is written when "work" fails.
  virtual Status Write(Durability durability, const std::string& mailbox,
                       const RowsWork& work) = 0;

 private:
  // Register ("create": an account for a new address) and Resend (no
  // account is made; reg.password_hash is "": the latest registration's).
  Result<RegisterOutcome> QueueMail(const NewRegistration& reg,
                                    const RegisterLimits& limits,
                                    const RegistrationMails& mails,
                                    bool create);
  // Activate's write, for a token the read found valid: uses it and
  // verifies its account unless another link or click came first.
  Result<ActivateOutcome> Verify(const std::string& token_hash,
                                 const std::optional<PreparedEvent>& event);
};

}  // namespace reg

#endif  // FCGI_STORAGE_STORE_H_
