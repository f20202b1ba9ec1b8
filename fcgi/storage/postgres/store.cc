// PgStorage and PgStore: connections, migrations, accounts and tokens
// (engine.h).
#include <chrono>

#include "storage/jobs.h"
#include "storage/mail_cap.h"
#include "storage/postgres/engine.h"
#include "storage/postgres/migrations.h"
#include "storage/totals.h"

namespace reg {

Result<Counters> PgCounters(PgConnection& conn) {
  Result<PgRows> rows = conn.Query("SELECT name, value FROM counters");
  if (!rows.ok()) return rows.status();
  Counters counters;
  for (int i = 0; i < rows.value().size(); i++) {
    counters[rows.value().Text(i, 0)] = rows.value().Int(i, 1);
  }
  return counters;
}

Status PgAddCounter(PgConnection& conn, const std::string& name,
                    std::int64_t delta) {
  return conn
      .Query(
          "INSERT INTO counters(name, value) VALUES($1, $2) "
          "ON CONFLICT (name) DO UPDATE SET value = counters.value + $2",
          {name, delta})
      .status();
}

Result<std::int64_t> PgNowMs(PgConnection& conn, const Clock* clock) {
  if (clock != nullptr) return clock->NowMs();
  Result<PgRows> now = conn.Query("SELECT reg_now_ms()");
  if (!now.ok()) return now.status();
  return now.value().Int(0, 0);
}

Result<std::unique_ptr<PgStorage>> PgStorage::Open(const std::string& url,
                                                   const Clock* clock,
                                                   OutboxPolicy policy) {
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(url);
  if (!conn.ok()) return conn.status();
  Status s = PgMigrate(conn.value().get(), kPgMigrations, kPgMigrationCount);
  if (!s.ok()) return s;
  // The migrating connection becomes the lane's first.
  Result<std::unique_ptr<PgWriteLane>> lane = PgWriteLane::Open(
      url, clock, PgWriteLane::kConnections, std::move(conn).value());
  if (!lane.ok()) return lane.status();
  return std::unique_ptr<PgStorage>(new PgStorage(
      url, clock, std::move(policy), std::move(lane).value()));
}

// A thread's connection: opened now if the server answers, else on the
// thread's first query (the thread outlives an outage either way).
Result<std::unique_ptr<Store>> PgStorage::NewStore() {
  Result<std::unique_ptr<PgConnection>> conn =
      PgConnection::Open(url_, /*defer=*/true);
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<Store>(
      new PgStore(std::move(conn).value(), lane_.get(), clock_));
}

Result<std::unique_ptr<Outbox>> PgStorage::NewOutbox() {
  Result<std::unique_ptr<PgConnection>> conn =
      PgConnection::Open(url_, /*defer=*/true);
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<Outbox>(
      new PgOutbox(std::move(conn).value(), lane_.get(), clock_, policy_));
}

Status PgStorage::CheckJobSecret(const std::string& fingerprint) {
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(url_);
  if (!conn.ok()) return conn.status();
  // The first host records its secret's; every host reads the one kept.
  Result<PgRows> recorded = conn.value()->Query(
      "WITH first AS (INSERT INTO job_secret (id, fingerprint) VALUES (1, $1) "
      "ON CONFLICT (id) DO NOTHING RETURNING fingerprint) "
      "SELECT fingerprint FROM first UNION ALL "
      "SELECT fingerprint FROM job_secret WHERE id = 1",
      {fingerprint});
  if (!recorded.ok()) return recorded.status();
  if (recorded.value().empty()) return Status::Internal("job_secret: no row");
  if (recorded.value().Text(0, 0) == fingerprint) return Status::Ok();
  return Status::InvalidArgument(
      "the job secret is not the one the other hosts on this database hold "
      "(its fingerprint differs from the one the first host recorded); copy "
      "JOB_SECRET_FILE from another host, or the hosts cannot open each "
      "other's mail");
}

PgStore::PgStore(std::unique_ptr<PgConnection> conn, PgWriteLane* lane,
                 const Clock* clock)
    : conn_(std::move(conn)), lane_(lane), clock_(clock) {}

Result<ResendRegistration> PgStore::ResendTarget(const NewRegistration& reg) {
  // As QueueMail's choice: the cookie's registration, else the newest; an
  // account with no registration token is dated by its own row.
  std::vector<PgParam> params = {reg.email_norm};
  for (std::size_t i = 0; i < 3; i++) {
    params.push_back(i < reg.cookie_receipt_hashes.size()
                         ? PgParam(reg.cookie_receipt_hashes[i])
                         : PgParam(""));
  }
  Result<PgRows> found = conn_->Query(
      "SELECT coalesce(t.hash, ''), coalesce(t.created_ms, u.created_ms) "
      "FROM users u LEFT JOIN tokens t ON t.user_id = u.id "
      "  AND coalesce(t.registration, t.hash) = t.hash "
      "WHERE u.email_norm = $1 AND u.verified_ms IS NULL "
      "ORDER BY EXISTS (SELECT 1 FROM receipts r "
      "  WHERE r.token_hash = t.hash AND r.cause = 'register' "
      "  AND r.hash IN ($2, $3, $4)) DESC, t.created_ms DESC, t.hash "
      "LIMIT 1",
      params);
  if (!found.ok()) return found.status();
  ResendRegistration target;
  if (!found.value().empty()) {
    target.hash = found.value().Text(0, 0);
    target.registered_ms = found.value().Int(0, 1);
  }
  return target;
}

Result<ReceiptFacts> PgStore::LookUpReceipt(const std::string& receipt_hash) {
  const PgParam test_now =
      clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam();
  Result<PgRows> found = conn_->Query(
      "SELECT r.cause = 'register', r.created_ms, coalesce(r.not_sent, ''), "
      "coalesce(r.job_id, 0), coalesce(o.state, ''), "
      "coalesce(o.attempts, 0), coalesce(o.next_attempt_ms, 0), "
      "coalesce(o.last_reply, ''), coalesce(o.sent_ms, 0), "
      "coalesce(o.changed_ms, 0), coalesce(r.verified_ms, 0), "
      "coalesce(o.dsn_action, ''), coalesce(o.dsn_status, ''), "
      "coalesce(o.dsn_ms, 0), "
      "CASE WHEN o.cap_ms > o.created_ms THEN o.cap_ms ELSE 0 END "
      "FROM receipts r LEFT JOIN outbox o ON o.id = r.job_id "
      "WHERE r.hash = $1 AND r.expires_ms > coalesce($2::bigint, reg_now_ms())",
      {receipt_hash, test_now});
  if (!found.ok()) return found.status();
  if (found.value().empty()) return Status::NotFound("unknown receipt");
  const PgRows& row = found.value();
  ReceiptFacts f;
  f.own = row.Text(0, 0) == "t";
  f.created_ms = row.Int(0, 1);
  f.not_sent = NotSentFromName(row.Text(0, 2));
  f.job_id = row.Int(0, 3);
  f.job_state = row.Text(0, 4);
  f.attempts = static_cast<int>(row.Int(0, 5));
  f.next_attempt_ms = row.Int(0, 6);
  f.last_reply = row.Text(0, 7);
  f.sent_ms = row.Int(0, 8);
  f.changed_ms = row.Int(0, 9);
  f.verified_ms = row.Int(0, 10);
  SetNotificationFacts(row.Text(0, 11), row.Text(0, 12), row.Int(0, 13), &f);
  f.delayed_until_ms = row.Int(0, 14);
  return f;
}

Result<TokenInfo> PgStore::LookUpToken(const std::string& token_hash) {
  const PgParam test_now =
      clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam();
  Result<PgRows> found = conn_->Query(
      "SELECT t.used_ms IS NOT NULL, "
      "t.expires_ms <= coalesce($2::bigint, reg_now_ms()), t.password_hash, "
      "t.user_id, u.email, coalesce(t.registration, t.hash), "
      "t.password_tries, u.verified_ms IS NOT NULL, "
      "coalesce((SELECT r.created_ms FROM tokens r "
      "  WHERE r.hash = t.registration), t.created_ms) "
      "FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
      {token_hash, test_now});
  if (!found.ok()) return found.status();
  if (found.value().empty()) return Status::NotFound("unknown token");
  const PgRows& row = found.value();
  TokenInfo info;
  info.password_hash = row.Text(0, 2);
  info.account_id = row.Int(0, 3);
  info.email = row.Text(0, 4);
  info.registration_hash = row.Text(0, 5);
  info.password_tries = static_cast<int>(row.Int(0, 6));
  info.account_verified = row.Text(0, 7) == "t";
  info.registered_ms = row.Int(0, 8);
  if (row.Text(0, 0) == "t") {
    info.state = TokenState::kUsed;
  } else if (row.Text(0, 1) == "t") {
    return Status::Gone("token expired");
  }
  return info;
}

Status PgStore::Write(Durability durability, const std::string& mailbox,
                     const RowsWork& work) {
  // "mailbox": the lane's advisory lock on it, taken before the piece.
  return lane_->Run(durability, mailbox, [&](PgTxn& txn) -> Status {
    PgTxnRows rows(txn.conn());
    return work(rows, txn.now_ms());
  });
}

Result<bool> PgStore::ReceiptProves(
    const std::vector<std::string>& receipt_hashes,
    const std::string& registration_hash) {
  if (receipt_hashes.empty()) return false;
  std::vector<PgParam> params = {
      registration_hash, clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam()};
  for (std::size_t i = 0; i < 3; i++) {
    params.push_back(i < receipt_hashes.size() ? PgParam(receipt_hashes[i])
                                               : PgParam(""));
  }
  Result<PgRows> found = conn_->Query(
      "SELECT count(*) FROM receipts WHERE cause = 'register' "
      "AND token_hash = $1 AND expires_ms > coalesce($2::bigint, reg_now_ms()) "
      "AND hash IN ($3, $4, $5)",
      params);
  if (!found.ok()) return found.status();
  return found.value().Int(0, 0) > 0;
}

Result<std::string> PgStore::ResendCodeReceipt(
    const std::string& resend_hash,
    const std::vector<std::string>& receipt_hashes) {
  if (receipt_hashes.empty()) return std::string();
  std::vector<PgParam> params = {
      resend_hash, clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam()};
  for (std::size_t i = 0; i < 3; i++) {
    params.push_back(i < receipt_hashes.size() ? PgParam(receipt_hashes[i])
                                               : PgParam(""));
  }
  // The resent link's registration (its own token's hash), and the own
  // receipt that names it.
  Result<PgRows> found = conn_->Query(
      "SELECT o.hash FROM (SELECT coalesce($2::bigint, reg_now_ms()) AS ms) "
      "  AS clock, receipts s "
      "JOIN tokens t ON t.hash = s.token_hash "
      "JOIN users u ON u.id = t.user_id "
      "JOIN receipts o ON o.cause = 'register' "
      "  AND o.token_hash = coalesce(t.registration, t.hash) "
      "WHERE s.hash = $1 AND s.cause = 'resend' AND s.expires_ms > clock.ms "
      "AND s.job_id IS NOT NULL AND t.code_mac IS NOT NULL "
      "AND t.used_ms IS NULL AND t.expires_ms > clock.ms "
      "AND u.verified_ms IS NULL "
      "AND o.expires_ms > clock.ms AND o.hash IN ($3, $4, $5) LIMIT 1",
      params);
  if (!found.ok()) return found.status();
  if (found.value().empty()) return std::string();
  return found.value().Text(0, 0);
}

Result<int> PgStore::CountWrongPassword(const std::string& token_hash) {
  Result<PgRows> counted = conn_->Query(
      "UPDATE tokens SET password_tries = password_tries + 1 "
      "WHERE hash = $1 RETURNING password_tries",
      {token_hash});
  if (!counted.ok()) return counted.status();
  if (counted.value().empty()) return 0;
  return static_cast<int>(counted.value().Int(0, 0));
}

Result<CodeReceipt> PgStore::CodeReceiptOf(const std::string& receipt_hash) {
  // Older receipts have no mailbox: their codes count under the receipt.
  Result<PgRows> found = conn_->Query(
      "SELECT coalesce(mailbox, 'receipt:' || hash) FROM receipts "
      "WHERE hash = $1 AND expires_ms > coalesce($2::bigint, reg_now_ms())",
      {receipt_hash, clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam()});
  if (!found.ok()) return found.status();
  if (found.value().empty()) return Status::NotFound("unknown receipt");
  return CodeReceipt{found.value().Text(0, 0)};
}

Result<StoreTotals> PgStore::Totals() {
  Result<PgRows> totals = conn_->Query(
      "SELECT (SELECT count(*) FROM outbox WHERE cause = 'register'), "
      "(SELECT count(*) FROM outbox WHERE cause = 'resend' "
      "AND kind <> 'no_account'), "
      "(SELECT count(*) FROM users WHERE verified_ms IS NOT NULL), "
      "(SELECT count(*) FROM receipts), "
      "(SELECT count(*) FROM suppressions "
      "  WHERE until_ms > coalesce($1::bigint, reg_now_ms())), "
      "(SELECT count(*) FROM outbox WHERE state = 'queued' "
      "  AND attempts = 0 AND cap_ms > created_ms)",
      {clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam()});
  if (!totals.ok()) return totals.status();
  const RowTotals rows{totals.value().Int(0, 0), totals.value().Int(0, 1),
                       totals.value().Int(0, 2), totals.value().Int(0, 3),
                       totals.value().Int(0, 4), totals.value().Int(0, 5)};
  Result<Counters> counters = PgCounters(*conn_);
  if (!counters.ok()) return counters.status();
  return TotalsFrom(rows, counters.value());
}

// /healthz answers within 5 s whatever the network does (CONTRACT 7):
// its check has a shorter bound than a request's calls.
Status PgStore::Ping() { return conn_->Ping(std::chrono::milliseconds(2500)); }

}  // namespace reg
