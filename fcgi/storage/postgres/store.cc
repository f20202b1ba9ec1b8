// PgStorage and PgStore: connections, migrations, accounts and tokens
// (engine.h).
#include <chrono>

#include "storage/jobs.h"
#include "storage/postgres/engine.h"
#include "storage/postgres/migrations.h"
#include "storage/totals.h"

namespace reg {

namespace {

// The counter to bump when a mail to "mailbox" now would pass MAIL_CAP or
// MAIL_CAP_TOTAL; nullptr when it may go. In a transaction: registrations
// to one mailbox (on any host) take their turn on a transaction-scoped
// advisory lock, so that two at once cannot both take MAIL_CAP's last
// place.
Result<const char*> MailCapHit(PgConnection& conn, const std::string& mailbox,
                               const RegisterLimits& limits, std::int64_t now,
                               bool resend) {
  const std::int64_t hour_ago = now - 3600 * 1000LL;
  if (limits.mail_cap > 0) {
    Result<PgRows> locked =
        conn.Query("SELECT pg_advisory_xact_lock(hashtext($1))", {mailbox});
    if (!locked.ok()) return locked.status();
    Result<PgRows> n = conn.Query(
        "SELECT count(*) FROM outbox WHERE mailbox = $1 AND created_ms > $2",
        {mailbox, hour_ago});
    if (!n.ok()) return n.status();
    if (n.value().Int(0, 0) >= limits.mail_cap) {
      return CappedCounter(resend, false);
    }
  }
  if (limits.mail_cap_total > 0) {
    // No lock here: one for every registration would make all hosts take
    // turns. Registrations in flight at once may each take the last place,
    // so the cap can be passed by as many (a handful, against thousands).
    Result<PgRows> n = conn.Query(
        "SELECT count(*) FROM outbox WHERE created_ms > $1 "
        "AND channel = 'mail'",
        {hour_ago});
    if (!n.ok()) return n.status();
    if (n.value().Int(0, 0) >= limits.mail_cap_total) {
      return CappedCounter(resend, true);
    }
  }
  return static_cast<const char*>(nullptr);
}

}  // namespace

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
  return std::unique_ptr<PgStorage>(
      new PgStorage(url, clock, std::move(policy)));
}

// A thread's connection: opened now if the server answers, else on the
// thread's first query (the thread outlives an outage either way).
Result<std::unique_ptr<Store>> PgStorage::NewStore() {
  Result<std::unique_ptr<PgConnection>> conn =
      PgConnection::Open(url_, /*defer=*/true);
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<Store>(new PgStore(std::move(conn).value(), clock_));
}

Result<std::unique_ptr<Outbox>> PgStorage::NewOutbox() {
  Result<std::unique_ptr<PgConnection>> conn =
      PgConnection::Open(url_, /*defer=*/true);
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<Outbox>(
      new PgOutbox(std::move(conn).value(), clock_, policy_));
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

PgStore::PgStore(std::unique_ptr<PgConnection> conn, const Clock* clock)
    : conn_(std::move(conn)), clock_(clock) {}

Result<RegisterOutcome> PgStore::QueueMail(const NewRegistration& reg,
                                           const RegisterLimits& limits,
                                           const RegistrationMails& mails,
                                           bool create) {
  PgTransaction tx(conn_.get());
  if (!tx.status().ok()) return tx.status();
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  // The account, created if new (unless a resend). A registration racing
  // for the same new address waits on the unique index, then finds the
  // row; FOR UPDATE holds it, so a verification cannot change its kind
  // meanwhile.
  std::int64_t user_id = 0;
  bool verified = false;
  if (create) {
    Result<PgRows> inserted = conn_->Query(
        "INSERT INTO users(email, email_norm, password_hash, created_ms) "
        "VALUES($1, $2, $3, $4) ON CONFLICT (email_norm) DO NOTHING "
        "RETURNING id",
        {reg.email, reg.email_norm, reg.password_hash, now.value()});
    if (!inserted.ok()) return inserted.status();
    if (!inserted.value().empty()) user_id = inserted.value().Int(0, 0);
  }
  if (user_id == 0) {
    Result<PgRows> found = conn_->Query(
        "SELECT id, verified_ms IS NOT NULL FROM users "
        "WHERE email_norm = $1 FOR UPDATE",
        {reg.email_norm});
    if (!found.ok()) return found.status();
    if (found.value().empty()) {
      if (!create) return RegisterOutcome();  // a resend to nobody: nothing
      return Status::Unavailable("account vanished");
    }
    user_id = found.value().Int(0, 0);
    verified = found.value().Text(0, 1) == "t";
  }
  RegisterOutcome outcome;
  outcome.kind = verified ? MailKind::kExists : MailKind::kVerify;

  // Past a cap the registration is answered as usual and sends nothing.
  Result<const char*> capped =
      MailCapHit(*conn_, reg.mailbox, limits, now.value(), !create);
  if (!capped.ok()) return capped.status();
  if (capped.value() != nullptr) {
    // No row records a capped registration: a counter does.
    Status bumped = PgAddCounter(*conn_, capped.value(), 1);
    if (!bumped.ok()) return bumped;
    Status s = tx.Commit();
    if (!s.ok()) return s;
    return outcome;
  }

  if (outcome.kind == MailKind::kVerify) {
    // A resend's link is for the password of the latest registration: its
    // newest token's.
    Result<PgRows> token = conn_->Query(
        "INSERT INTO tokens(hash, user_id, password_hash, created_ms, "
        "expires_ms) VALUES($1, $2, coalesce($3, "
        "(SELECT password_hash FROM tokens WHERE user_id = $2 "
        " ORDER BY created_ms DESC, hash LIMIT 1), "
        "(SELECT password_hash FROM users WHERE id = $2)), $4, $5)",
        {reg.token_hash, user_id,
         reg.password_hash.empty() ? PgParam() : PgParam(reg.password_hash),
         now.value(), now.value() + limits.token_ttl_ms});
    if (!token.ok()) return token.status();
  }
  Result<std::int64_t> id =
      PgEnqueue(*conn_, RegistrationJob(reg, user_id, outcome.kind, !create,
                                        mails, limits, now.value()));
  if (!id.ok()) return id.status();
  outcome.job_id = id.value();
  Status s = tx.Commit();
  if (!s.ok()) return s;
  return outcome;
}

Result<TokenInfo> PgStore::LookUpToken(const std::string& token_hash) {
  const PgParam test_now =
      clock_ != nullptr ? PgParam(clock_->NowMs()) : PgParam();
  Result<PgRows> found = conn_->Query(
      "SELECT t.used_ms IS NOT NULL, "
      "t.expires_ms <= coalesce($2::bigint, reg_now_ms()), t.password_hash, "
      "t.user_id, u.email FROM tokens t JOIN users u ON u.id = t.user_id "
      "WHERE t.hash = $1",
      {token_hash, test_now});
  if (!found.ok()) return found.status();
  if (found.value().empty()) return Status::NotFound("unknown token");
  const PgRows& row = found.value();
  TokenInfo info;
  info.password_hash = row.Text(0, 2);
  info.account_id = row.Int(0, 3);
  info.email = row.Text(0, 4);
  if (row.Text(0, 0) == "t") {
    info.state = TokenState::kUsed;
  } else if (row.Text(0, 1) == "t") {
    return Status::Gone("token expired");
  }
  return info;
}

Result<ActivateOutcome> PgStore::Verify(
    const std::string& token_hash, const std::optional<PreparedEvent>& event) {
  ActivateOutcome outcome{Activation::kAlreadyVerified, 0};
  PgTransaction tx(conn_.get());
  if (!tx.status().ok()) return tx.status();
  Result<std::int64_t> now = PgNowMs(*conn_, clock_);
  if (!now.ok()) return now.status();
  Result<PgRows> used = conn_->Query(
      "UPDATE tokens SET used_ms = $1 WHERE hash = $2 AND used_ms IS NULL "
      "RETURNING user_id, password_hash",
      {now.value(), token_hash});
  if (!used.ok()) return used.status();
  if (used.value().empty()) return outcome;  // a race: another click won
  // The account takes the password of the registration this link was
  // for, unless another link verified it first.
  const std::int64_t user_id = used.value().Int(0, 0);
  Result<PgRows> verify = conn_->Query(
      "UPDATE users SET verified_ms = $1, password_hash = $2 "
      "WHERE id = $3 AND verified_ms IS NULL",
      {now.value(), used.value().Text(0, 1), user_id});
  if (!verify.ok()) return verify.status();
  if (verify.value().affected() > 0) {
    outcome.state = Activation::kVerified;
    if (event) {
      // The account.verified event, in the verifying transaction.
      Result<NewJob> job = VerifiedEventJob(*event, user_id, now.value());
      if (!job.ok()) return job.status();
      Result<std::int64_t> id = PgEnqueue(*conn_, job.value());
      if (!id.ok()) return id.status();
      outcome.event_job_id = id.value();
    }
  }
  Status s = tx.Commit();
  if (!s.ok()) return s;
  return outcome;
}

Result<StoreTotals> PgStore::Totals() {
  Result<PgRows> totals = conn_->Query(
      "SELECT (SELECT count(*) FROM outbox WHERE cause = 'register'), "
      "(SELECT count(*) FROM outbox WHERE cause = 'resend'), "
      "(SELECT count(*) FROM users WHERE verified_ms IS NOT NULL)");
  if (!totals.ok()) return totals.status();
  const RowTotals rows{totals.value().Int(0, 0), totals.value().Int(0, 1),
                       totals.value().Int(0, 2)};
  Result<Counters> counters = PgCounters(*conn_);
  if (!counters.ok()) return counters.status();
  return TotalsFrom(rows, counters.value());
}

// /healthz answers within 5 s whatever the network does (CONTRACT 7):
// its check has a shorter bound than a request's calls.
Status PgStore::Ping() { return conn_->Ping(std::chrono::milliseconds(2500)); }

}  // namespace reg
