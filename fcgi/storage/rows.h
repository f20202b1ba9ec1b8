// TxnRows: the rows the engine-neutral writes read and write, inside one of
// an engine's write transactions. Each engine answers them with its own
// SQL (storage/sqlite/rows.cc, storage/postgres/rows.cc); what they decide
// is written once, here in storage/ (Store::Verify, Store::TryCode,
// Store::RecordNotification, SuppressRecipient). An engine hands them out
// through Store::Write.
#ifndef FCGI_STORAGE_ROWS_H_
#define FCGI_STORAGE_ROWS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/bounces.h"
#include "storage/codes.h"
#include "storage/mail_cap.h"
#include "storage/outbox.h"
#include "storage/receipts.h"
#include "storage/registration.h"

namespace reg {

// A token a click used (TxnRows::UseToken): its account, and the password
// of the registration it was minted for.
struct UsedToken {
  std::int64_t account_id = 0;
  std::string password_hash;
};

// What decides whether a failure suppresses a mail job's recipient
// (FailureSuppresses).
struct SuppressionFacts {
  std::string rcpt;
  std::int64_t created_ms = 0;
  // When the address was last verified or unsuppressed; 0 for never.
  std::int64_t cleared_ms = 0;
};

// An account TxnRows::FindOrCreateAccount found or made; id 0 for none.
struct AccountRef {
  std::int64_t id = 0;
  bool verified = false;
};

// The registration a resend's link is minted for
// (TxnRows::ChosenRegistration).
struct ChosenToken {
  std::string registration;  // its token's hash; "" for an account with none
  std::string password_hash;  // its password (else the account's)
};

// A verification link's token, as stored.
struct TokenRow {
  std::string hash;
  std::int64_t account_id = 0;
  std::string password_hash;  // of the registration it is minted for
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::string registration;  // that registration's token hash
  std::string code_mac;      // its mail's code; "" for none
  // The hash of its request's receipt. Read only on a registration's own
  // token: UseToken marks that receipt, whichever of the registration's
  // tokens (its own or a resend's) was used.
  std::string receipt;
};

class TxnRows : public CodeRows {
 public:
  // Adds "delta" to counter "name" (storage/totals.h).
  virtual Status AddCounter(const std::string& name, std::int64_t delta) = 0;
  // A line of job "job_id"'s history.
  virtual Status RecordEvent(std::int64_t job_id, std::int64_t at_ms,
                             const char* event, std::string_view detail) = 0;
  // Queues "job" with its "queued" history line; its id.
  virtual Result<std::int64_t> Enqueue(const NewJob& job) = 0;

  // The account of reg.email_norm, held for this transaction; made from
  // "reg" at "now_ms" when there is none and "create" (else id 0).
  virtual Result<AccountRef> FindOrCreateAccount(const NewRegistration& reg,
                                                 std::int64_t now_ms,
                                                 bool create) = 0;
  // The registration of account "account_id" a resend's link is for:
  // "chosen" while it is one of the account's, else the one whose own
  // receipt "receipt_hashes" (a cookie's) holds, else the newest; for an
  // account with no registration token (rows from before), none and the
  // account's password.
  virtual Result<ChosenToken> ChosenRegistration(
      std::int64_t account_id, const std::string& chosen,
      const std::vector<std::string>& receipt_hashes) = 0;
  virtual Status InsertToken(const TokenRow& token) = 0;
  // Forgets the code of token "token_hash" (its mail is not sent).
  virtual Status ForgetCode(const std::string& token_hash) = 0;
  // True when "address" (exactly) is suppressed at "now_ms".
  virtual Result<bool> IsSuppressed(const std::string& address,
                                    std::int64_t now_ms) = 0;
  // What MAIL_CAP and MAIL_CAP_TOTAL count (mail_cap.h) of the mails
  // queued before "now_ms" to "mailbox" and to its domain: only what
  // "limits" turns on.
  virtual Result<MailCounts> CountMails(const std::string& mailbox,
                                        const RegisterLimits& limits,
                                        std::int64_t now_ms) = 0;
  virtual Status InsertReceipt(const NewReceipt& receipt) = 0;

  // Marks token "token_hash" used at "now_ms", and with it the own receipt
  // of the registration it was minted for, by that registration's POST
  // /register or by a resend (its status says "verified" from then on: the
  // caller's transaction then verifies the account, or finds it
  // verified); nullopt when it already was used (another click came
  // first).
  virtual Result<std::optional<UsedToken>> UseToken(
      const std::string& token_hash, std::int64_t now_ms) = 0;
  // Verifies account "account_id" at "now_ms" with "password_hash"; false
  // when it already was verified (another link came first).
  virtual Result<bool> VerifyAccount(std::int64_t account_id,
                                     const std::string& password_hash,
                                     std::int64_t now_ms) = 0;

  // The notification's mail job (its id, a mail to its recipient, ASCII
  // case ignored, created in its second), held for this transaction: the
  // notification it last recorded ("failed", "delayed", "" for none);
  // nullopt for no such job.
  virtual Result<std::optional<std::string>> NotifiedJob(
      const Notification& n) = 0;
  // Records a "failed" (else "delayed") notification with "status" on job
  // "job_id" at "now_ms"; a recorded failure stays (a later delay leaves
  // it).
  virtual Status RecordNotice(std::int64_t job_id, bool failed,
                              const std::string& status,
                              std::int64_t now_ms) = 0;
  // The facts of mail job "job_id" (in "state", when not ""), held for
  // this transaction; nullopt for none.
  virtual Result<std::optional<SuppressionFacts>> SuppressionFactsOf(
      std::int64_t job_id, std::string_view state) = 0;
  // Suppresses row.address as "row" says (a new row, or the one there
  // replaced).
  virtual Status Suppress(const SuppressionRow& row) = 0;
};

// Work inside an engine's write transaction, given its rows and the
// transaction's time.
using RowsWork = std::function<Status(TxnRows& rows, std::int64_t now_ms)>;

// What the transaction that fails mail job "job_id" for a refusal with
// "reply" (a 5xx to RCPT TO or DATA) adds: its recipient suppressed when
// the reply's status says the address does not exist (SuppressRecipient).
Status SuppressRefused(TxnRows& rows, std::int64_t job_id,
                       std::string_view reply, std::int64_t now_ms,
                       std::int64_t suppress_ms);

// Suppresses the recipient of mail job "job_id" (in "state" when not "")
// for "suppress_ms" when a failure with "status" does (FailureSuppresses).
// True when it did.
Result<bool> SuppressRecipient(TxnRows& rows, std::int64_t job_id,
                               const std::string& status, std::int64_t now_ms,
                               std::int64_t suppress_ms,
                               std::string_view state = "");

}  // namespace reg

#endif  // FCGI_STORAGE_ROWS_H_
