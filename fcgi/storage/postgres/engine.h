// The PostgreSQL engine: Storage, Store and Outbox over one database that
// any number of hosts share (CONTRACT section 7). Each Store and Outbox
// has a connection of its own. Times come from the database's clock
// (reg_now_ms(), sql/postgres/001_init.sql), the same for every host.
// Registrations and activations commit durably (synchronous_commit on);
// claims, renewals and outcomes commit without waiting for the WAL flush,
// the cost the outbox interface names.
#ifndef FCGI_STORAGE_POSTGRES_ENGINE_H_
#define FCGI_STORAGE_POSTGRES_ENGINE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "storage/outbox.h"
#include "storage/postgres/pg.h"
#include "storage/storage.h"
#include "storage/store.h"
#include "storage/write_txn.h"

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

 private:
  PgStorage(std::string url, const Clock* clock, OutboxPolicy policy)
      : url_(std::move(url)), clock_(clock), policy_(std::move(policy)) {}

  const std::string url_;
  const Clock* const clock_;
  const OutboxPolicy policy_;
};

// The registration's transaction, as Outbox::Enqueue joins it.
class PgTxn : public WriteTxn {
 public:
  PgTxn(PgConnection* conn, std::int64_t now_ms)
      : conn_(conn), now_ms_(now_ms) {}
  PgConnection& conn() const { return *conn_; }
  std::int64_t now_ms() const { return now_ms_; }

 private:
  PgConnection* conn_;
  std::int64_t now_ms_;
};

// The current time in a transaction on "conn": the test clock when there
// is one, else the database's (fixed for the whole transaction).
Result<std::int64_t> PgNowMs(PgConnection& conn, const Clock* clock);

// The counters table (what no row records; retention.h), by name.
Result<std::map<std::string, std::int64_t>> PgCounters(PgConnection& conn);
std::int64_t PgCounter(const std::map<std::string, std::int64_t>& counters,
                       const std::string& name);
// The delivery histogram's query: count, sum, one count per bucket bound
// ($1...); with "for_account", of one account's jobs (the last parameter).
const std::string& PgDeliverySql(bool for_account);

class PgOutbox : public Outbox {
 public:
  // Works on "conn" (owned, or borrowed from the Store it serves).
  PgOutbox(std::unique_ptr<PgConnection> conn, const Clock* clock,
           OutboxPolicy policy);
  PgOutbox(PgConnection* conn, const Clock* clock, OutboxPolicy policy);

  Result<std::int64_t> Enqueue(WriteTxn& txn, const NewJob& job) override;
  Result<JobState> State(std::int64_t id) override;
  Result<ClaimOutcome> Claim(std::int64_t id) override;
  Result<std::vector<ClaimedJob>> ClaimDue(int limit) override;
  Result<std::vector<ClaimRef>> Renew(
      const std::vector<ClaimRef>& claims) override;
  Status MarkSent(const ClaimedJob& job, std::string_view reply) override;
  Status MarkRetry(const ClaimedJob& job, std::string_view reply,
                   RetryReason reason) override;
  Status MarkFailed(const ClaimedJob& job, std::string_view reply) override;
  Result<OutboxStats> Stats() override;
  Result<std::vector<JobRow>> ListJobs(const std::string& state,
                                       int limit) override;
  Result<JobRow> GetJob(std::int64_t id,
                        std::vector<JobEvent>* events) override;
  Status RequeueJob(std::int64_t id) override;

 private:
  enum class Outcome { kSent, kRetry, kFailed };
  // Ends the claim "job" with "outcome" if it still holds (a retry past
  // retry_for_ms fails instead). Nothing is written when it was lost.
  Status Finish(const ClaimedJob& job, Outcome outcome, std::string_view reply,
                std::string_view reason);

  std::unique_ptr<PgConnection> owned_;
  PgConnection* const conn_;
  const Clock* const clock_;
  const OutboxPolicy policy_;
};

class PgStore : public Store {
 public:
  PgStore(std::unique_ptr<PgConnection> conn, const Clock* clock,
          OutboxPolicy policy);

  Result<RegisterOutcome> Register(const NewRegistration& reg,
                                   const RegisterLimits& limits,
                                   const MailRenderer& render) override;
  Result<RegisterOutcome> Resend(const NewRegistration& reg,
                                 const RegisterLimits& limits,
                                 const MailRenderer& render) override;
  using Store::CheckToken;
  Result<TokenState> CheckToken(const std::string& token_hash,
                                std::string* password_hash) override;
  Result<ActivateOutcome> Activate(const std::string& token_hash,
                                   const EventSpec& events) override;
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
  // Register and Resend: the account's mail (and token) in one
  // transaction; "create" makes an account for a new address.
  Result<RegisterOutcome> Queue(const NewRegistration& reg,
                                const RegisterLimits& limits,
                                const MailRenderer& render, bool create);

  std::unique_ptr<PgConnection> conn_;
  const Clock* const clock_;
  PgOutbox outbox_;  // joins Register's transaction (Enqueue)
};

}  // namespace reg

#endif  // FCGI_STORAGE_POSTGRES_ENGINE_H_
