// TxnRows: the rows the engine-neutral writes read and write, inside one of
// an engine's write transactions. Each engine answers them with its own
// SQL (storage/sqlite/rows.cc, storage/postgres/rows.cc); what they decide
// is written once, here in storage/ (Store::Verify, Store::TryCode,
// Store::RecordNotification, SuppressRecipient). An engine hands them out
// through Store::Write.
#ifndef FCGI_STORAGE_ROWS_H_
#define FCGI_STORAGE_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "storage/bounces.h"
#include "storage/codes.h"
#include "storage/outbox.h"

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

class TxnRows : public CodeRows {
 public:
  // Adds "delta" to counter "name" (storage/totals.h).
  virtual Status AddCounter(const std::string& name, std::int64_t delta) = 0;
  // A line of job "job_id"'s history.
  virtual Status RecordEvent(std::int64_t job_id, std::int64_t at_ms,
                             const char* event, std::string_view detail) = 0;
  // Queues "job" with its "queued" history line; its id.
  virtual Result<std::int64_t> Enqueue(const NewJob& job) = 0;

  // Marks token "token_hash" used at "now_ms"; nullopt when it already
  // was (another click came first).
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

// Suppresses the recipient of mail job "job_id" (in "state" when not "")
// for "suppress_ms" when a failure with "status" does (FailureSuppresses).
// True when it did.
Result<bool> SuppressRecipient(TxnRows& rows, std::int64_t job_id,
                               const std::string& status, std::int64_t now_ms,
                               std::int64_t suppress_ms,
                               std::string_view state = "");

}  // namespace reg

#endif  // FCGI_STORAGE_ROWS_H_
