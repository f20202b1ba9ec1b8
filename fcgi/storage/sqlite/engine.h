// The SQLite engine: Storage, Store and Outbox over one file in WAL mode.
// Each Store and Outbox reads on a connection of its own, opened on its
// first read (readers never wait for the writer), and writes through the
// process's WriteLane.
#ifndef FCGI_STORAGE_SQLITE_ENGINE_H_
#define FCGI_STORAGE_SQLITE_ENGINE_H_

#include <memory>
#include <string>

#include "base/clock.h"
#include "storage/outbox.h"
#include "storage/rows.h"
#include "storage/sqlite/db.h"
#include "storage/sqlite/write_lane.h"
#include "storage/storage.h"
#include "storage/store.h"
#include "storage/totals.h"

namespace reg {

class SqliteStorage : public Storage {
 public:
  // Opens (or, with "create", creates) the database at "path" and its
  // write lane; see Database::Open.
  static Result<std::unique_ptr<SqliteStorage>> Open(const std::string& path,
                                                     bool create,
                                                     bool sync_full,
                                                     const Clock* clock,
                                                     OutboxPolicy policy);

  Result<std::unique_ptr<Store>> NewStore() override;
  Result<std::unique_ptr<Outbox>> NewOutbox() override;

 private:
  SqliteStorage(std::string path, bool sync_full, const Clock* clock,
                OutboxPolicy policy, std::unique_ptr<WriteLane> lane)
      : path_(std::move(path)),
        sync_full_(sync_full),
        clock_(clock),
        policy_(std::move(policy)),
        lane_(std::move(lane)) {}

  const std::string path_;
  const bool sync_full_;
  const Clock* const clock_;
  const OutboxPolicy policy_;
  const std::unique_ptr<WriteLane> lane_;
};

class SqliteOutbox : public Outbox {
 public:
  SqliteOutbox(std::unique_ptr<Reader> reader, WriteLane* lane,
               const Clock* clock, OutboxPolicy policy);

  Result<JobState> State(std::int64_t id) override;
  Result<ClaimOutcome> Claim(std::int64_t id) override;
  Result<std::vector<ClaimedJob>> ClaimDue(int limit) override;
  Result<std::vector<ClaimRef>> Renew(
      const std::vector<ClaimRef>& claims) override;
  Result<int> ReleaseLostClaims(
      const std::vector<std::int64_t>& sending) override;
  Status MarkSent(const ClaimedJob& job, std::string_view reply) override;
  Status MarkRetry(const ClaimedJob& job, std::string_view reply,
                   RetryReason reason) override;
  Status MarkFailed(const ClaimedJob& job, std::string_view reply) override;
  Status MarkRefused(const ClaimedJob& job, std::string_view reply) override;
  Result<OutboxStats> Stats() override;
  Result<std::vector<JobRow>> ListJobs(const std::string& state,
                                       int limit) override;
  Result<JobRow> GetJob(std::int64_t id,
                        std::vector<JobEvent>* events) override;
  Status RequeueJob(std::int64_t id) override;

 private:
  // Ends the claim "job" with "state" if it still holds; records "event",
  // and runs "also" in the same transaction. False (and nothing written)
  // when the claim was lost.
  Result<bool> Finish(const ClaimedJob& job, const char* state,
                      std::int64_t next_attempt_ms, std::string_view reply,
                      const char* event, std::string_view reason,
                      const RowsWork& also = nullptr);

  std::unique_ptr<Reader> reader_;
  WriteLane* const lane_;
  const Clock* const clock_;
  const OutboxPolicy policy_;
};

class SqliteStore : public Store {
 public:
  SqliteStore(std::unique_ptr<Reader> reader, WriteLane* lane,
              const Clock* clock);

  Result<ResendRegistration> ResendTarget(const NewRegistration& reg) override;
  Result<TokenInfo> LookUpToken(const std::string& token_hash) override;
  Result<bool> ReceiptProves(const std::vector<std::string>& receipt_hashes,
                             const std::string& registration_hash) override;
  Result<std::string> ResendCodeReceipt(
      const std::string& resend_hash,
      const std::vector<std::string>& receipt_hashes) override;
  Result<int> CountWrongPassword(const std::string& token_hash) override;
  Result<CodeReceipt> CodeReceiptOf(const std::string& receipt_hash) override;
  Result<std::vector<SuppressionRow>> ListSuppressions(int limit) override;
  Status Unsuppress(const std::string& address) override;
  Result<StoreTotals> Totals() override;
  Status Ping() override;
  Result<RetentionResult> ApplyRetention(
      const RetentionPolicy& policy) override;
  Result<std::vector<AccountRow>> ListAccounts(const std::string& part,
                                               int limit) override;
  Result<AccountRow> FindAccount(const std::string& email) override;
  Result<std::vector<std::int64_t>> AccountJobIds(
      std::int64_t account_id) override;

 private:
  Result<ReceiptFacts> LookUpReceipt(const std::string& receipt_hash) override;
  Status Write(Durability durability, const std::string& mailbox,
               const RowsWork& work) override;

  std::unique_ptr<Reader> reader_;
  WriteLane* const lane_;
  const Clock* const clock_;
};

// The rows of storage/rows.h in one of the write lane's transactions.
class SqliteTxnRows : public TxnRows {
 public:
  explicit SqliteTxnRows(SqliteTxn& txn) : db_(txn.db()) {}

  Status AddCounter(const std::string& name, std::int64_t delta) override;
  Status RecordEvent(std::int64_t job_id, std::int64_t at_ms, const char* event,
                     std::string_view detail) override;
  Result<std::int64_t> Enqueue(const NewJob& job) override;
  Result<int> WrongCodesSince(const std::string& mailbox,
                              std::int64_t since_ms) override;
  Result<std::string> TokenOfCode(const std::string& receipt_hash,
                                  const std::string& code_mac,
                                  std::int64_t now_ms) override;
  Status AddWrongCode(const std::string& mailbox,
                      std::int64_t now_ms) override;
  Result<AccountRef> FindOrCreateAccount(const NewRegistration& reg,
                                         std::int64_t now_ms,
                                         bool create) override;
  Result<ChosenToken> ChosenRegistration(
      std::int64_t account_id, const std::string& chosen,
      const std::vector<std::string>& receipt_hashes) override;
  Status InsertToken(const TokenRow& token) override;
  Status ForgetCode(const std::string& token_hash) override;
  Result<bool> IsSuppressed(const std::string& address,
                            std::int64_t now_ms) override;
  Result<MailCounts> CountMails(const std::string& mailbox,
                                const RegisterLimits& limits,
                                std::int64_t now_ms) override;
  Status InsertReceipt(const NewReceipt& receipt) override;
  Result<std::optional<UsedToken>> UseToken(const std::string& token_hash,
                                            std::int64_t now_ms) override;
  Result<bool> VerifyAccount(std::int64_t account_id,
                             const std::string& password_hash,
                             std::int64_t now_ms) override;
  Result<std::optional<std::string>> NotifiedJob(
      const Notification& n) override;
  Status RecordNotice(std::int64_t job_id, bool failed,
                      const std::string& status, std::int64_t now_ms) override;
  Result<std::optional<SuppressionFacts>> SuppressionFactsOf(
      std::int64_t job_id, std::string_view state) override;
  Status Suppress(const SuppressionRow& row) override;

 private:
  Database& db_;
};

// The counters table (storage/totals.h), by name.
Result<Counters> ReadCounters(Database& db);
// Adds "delta" to counter "name" inside the caller's transaction.
Status AddCounter(Database& db, const std::string& name, std::int64_t delta);

// Whose sent mails the delivery histogram's query counts (DeliverySql).
enum class DeliveryOf {
  kAll,
  kAccount,  // one account's: its id is the last parameter
  kListed,   // listed jobs': their ids, a JSON array, the last parameter
};
// The delivery histogram's query (outbox_read.cc): the bucket bounds in ms
// as ?1..?N, then what "of" says.
const std::string& DeliverySql(DeliveryOf of);

// Records a line of job "job_id"'s history, and its time as the job's
// last change (storage/outbox.h), inside the caller's transaction.
Status RecordEvent(Database& db, std::int64_t job_id, std::int64_t at_ms,
                   const char* event, std::string_view detail,
                   std::string_view reason = "");
// The history line alone, for a caller whose own UPDATE of the job sets
// changed_ms to at least "at_ms" in the same transaction.
Status AppendEvent(Database& db, std::int64_t job_id, std::int64_t at_ms,
                   const char* event, std::string_view detail,
                   std::string_view reason = "");

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_ENGINE_H_
