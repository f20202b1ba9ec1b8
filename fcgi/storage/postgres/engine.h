// The PostgreSQL engine: Storage, Store and Outbox over one database that
// any number of hosts share (CONTRACT section 7). Each Store and Outbox
// reads on a connection of its own and writes through the process's
// PgWriteLane (group commit). Times come from the database's clock
// (reg_now_ms(), sql/postgres/001_init.sql), the same for every host.
// Registrations and activations commit durably (synchronous_commit on);
// claims, renewals and outcomes commit without waiting for the WAL flush,
// the cost the outbox interface names.
#ifndef FCGI_STORAGE_POSTGRES_ENGINE_H_
#define FCGI_STORAGE_POSTGRES_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "storage/outbox.h"
#include "storage/postgres/pg.h"
#include "storage/postgres/write_lane.h"
#include "storage/rows.h"
#include "storage/storage.h"
#include "storage/store.h"
#include "storage/totals.h"

namespace reg {

class PgStorage : public Storage {
 public:
  // Connects to "url" and applies pending migrations (safe when several
  // hosts start at once). "clock" is for tests only: nullptr takes every
  // time from the database.
  static Result<std::unique_ptr<PgStorage>> Open(const std::string& url,
                                                 const Clock* clock,
                                                 OutboxPolicy policy);

  Result<std::unique_ptr<Store>> NewStore() override;
  Result<std::unique_ptr<Outbox>> NewOutbox() override;
  Status CheckJobSecret(const std::string& fingerprint) override;

 private:
  PgStorage(std::string url, const Clock* clock, OutboxPolicy policy,
            std::unique_ptr<PgWriteLane> lane)
      : url_(std::move(url)),
        clock_(clock),
        policy_(std::move(policy)),
        lane_(std::move(lane)) {}

  const std::string url_;
  const Clock* const clock_;
  const OutboxPolicy policy_;
  const std::unique_ptr<PgWriteLane> lane_;
};

// A job's state, read on "conn" (in its transaction, if one is open).
Result<JobState> PgJobState(PgConnection& conn, std::int64_t id);

// The current time in a transaction on "conn": the test clock when there
// is one, else the database's (fixed for the whole transaction).
Result<std::int64_t> PgNowMs(PgConnection& conn, const Clock* clock);

// The counters table (storage/totals.h), by name.
Result<Counters> PgCounters(PgConnection& conn);
// Adds "delta" to counter "name" inside the caller's transaction.
Status PgAddCounter(PgConnection& conn, const std::string& name,
                    std::int64_t delta);
// Whose sent mails the delivery histogram's query counts (PgDeliverySql).
enum class PgDeliveryOf {
  kAll,
  kAccount,  // one account's: its id is the last parameter
  kListed,   // listed jobs': their ids, a bigint[], the last parameter
};
// The delivery histogram's query (outbox_read.cc): count, sum, one count
// per bucket bound ($1...), of the mails "of" says. PgDeliveryBounds: the
// bounds, in ms, as its parameters.
const std::string& PgDeliverySql(PgDeliveryOf of);
std::vector<PgParam> PgDeliveryBounds();

// Records a line of job "job_id"'s history, and its time as the job's last
// change (storage/outbox.h), inside the transaction open on "conn".
Status PgRecordEvent(PgConnection& conn, std::int64_t job_id,
                     std::int64_t at_ms, const char* event,
                     std::string_view detail, std::string_view reason = "");

// The rows of storage/rows.h in one of the write lane's transactions,
// open on "conn".
class PgTxnRows : public TxnRows {
 public:
  explicit PgTxnRows(PgConnection& conn) : conn_(conn) {}

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
  PgConnection& conn_;
};

class PgOutbox : public Outbox {
 public:
  PgOutbox(std::unique_ptr<PgConnection> conn, PgWriteLane* lane,
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
  enum class Outcome { kSent, kRetry, kFailed };
  // Ends the claim "job" with "outcome" if it still holds (a retry past
  // retry_for_ms fails instead), and runs "also" in the same transaction.
  // Nothing is written when it was lost.
  Status Finish(const ClaimedJob& job, Outcome outcome, std::string_view reply,
                std::string_view reason, const RowsWork& also = nullptr);

  std::unique_ptr<PgConnection> conn_;  // reads, and regctl's requeue
  PgWriteLane* const lane_;
  const Clock* const clock_;
  const OutboxPolicy policy_;
};

class PgStore : public Store {
 public:
  PgStore(std::unique_ptr<PgConnection> conn, PgWriteLane* lane,
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

  std::unique_ptr<PgConnection> conn_;  // reads, and retention's own writes
  PgWriteLane* const lane_;
  const Clock* const clock_;
};

}  // namespace reg

#endif  // FCGI_STORAGE_POSTGRES_ENGINE_H_
