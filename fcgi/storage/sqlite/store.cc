// SqliteStore: accounts and tokens (engine.h).
#include <map>
#include <optional>

#include "storage/sqlite/engine.h"

namespace reg {
namespace {

// The mail an address gets: an "account exists" notice once verified.
Result<MailKind> KindFor(Database& db, const std::string& email_norm) {
  Stmt find(db, "find account",
            "SELECT verified_ms IS NOT NULL FROM users WHERE email_norm = ?");
  find.Text(email_norm);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  return row.value() && find.ColumnInt(0) != 0 ? MailKind::kExists
                                               : MailKind::kVerify;
}

// The account of "email_norm", created if new unless "create" is false
// (then id 0): {id, verified}.
Result<std::pair<std::int64_t, bool>> FindOrCreateAccount(
    Database& db, const NewRegistration& reg, std::int64_t now, bool create) {
  {
    Stmt find(db, "find account",
              "SELECT id, verified_ms IS NOT NULL FROM users "
              "WHERE email_norm = ?");
    find.Text(reg.email_norm);
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status();
    if (row.value()) {
      return std::make_pair(find.ColumnInt(0), find.ColumnInt(1) != 0);
    }
  }
  if (!create) return std::make_pair(std::int64_t{0}, false);
  Stmt insert(db, "insert account",
              "INSERT INTO users(email, email_norm, password_hash, created_ms) "
              "VALUES(?, ?, ?, ?)");
  insert.Text(reg.email).Text(reg.email_norm).Text(reg.password_hash).Int(now);
  Status s = insert.Run();
  if (!s.ok()) return s;
  return std::make_pair(insert.last_insert_id(), false);
}

// The password of the account's latest registration: its newest token's.
Result<std::string> LatestPasswordHash(Database& db, std::int64_t user_id) {
  Stmt find(db, "latest password",
            "SELECT coalesce((SELECT password_hash FROM tokens "
            "WHERE user_id = ?1 ORDER BY created_ms DESC LIMIT 1), "
            "(SELECT password_hash FROM users WHERE id = ?1))");
  find.Int(user_id);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  return find.ColumnText(0);
}

// Mails queued since "since_ms": to "mailbox", or to anyone when it is
// empty.
Result<std::int64_t> MailsSince(Database& db, const std::string& mailbox,
                                std::int64_t since_ms) {
  if (mailbox.empty()) {
    Stmt count(db, "count all mails",
               "SELECT count(*) FROM outbox WHERE created_ms > ? "
               "AND channel = 'mail'");
    count.Int(since_ms);
    Result<bool> row = count.Step();
    if (!row.ok()) return row.status();
    return count.ColumnInt(0);
  }
  Stmt count(
      db, "count mails",
      "SELECT count(*) FROM outbox WHERE mailbox = ? AND created_ms > ?");
  count.Text(mailbox).Int(since_ms);
  Result<bool> row = count.Step();
  if (!row.ok()) return row.status();
  return count.ColumnInt(0);
}

// The counter to bump when a mail to "mailbox" now would pass MAIL_CAP or
// MAIL_CAP_TOTAL; nullptr when it may go.
Result<const char*> MailCapHit(Database& db, const std::string& mailbox,
                               const RegisterLimits& limits, std::int64_t now) {
  const std::int64_t hour_ago = now - 3600 * 1000LL;
  if (limits.mail_cap > 0) {
    Result<std::int64_t> n = MailsSince(db, mailbox, hour_ago);
    if (!n.ok()) return n.status();
    if (n.value() >= limits.mail_cap) return "mail_capped_total";
  }
  if (limits.mail_cap_total > 0) {
    Result<std::int64_t> n = MailsSince(db, "", hour_ago);
    if (!n.ok()) return n.status();
    if (n.value() >= limits.mail_cap_total) return "mail_capped_service_total";
  }
  return static_cast<const char*>(nullptr);
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Reader> reader, WriteLane* lane,
                         const Clock* clock, OutboxPolicy policy)
    : reader_(std::move(reader)),
      lane_(lane),
      clock_(clock),
      outbox_(reader_.get(), lane, clock, std::move(policy)) {}

Result<RegisterOutcome> SqliteStore::Register(const NewRegistration& reg,
                                              const RegisterLimits& limits,
                                              const MailRenderer& render) {
  return Queue(reg, limits, render, /*create=*/true);
}

Result<RegisterOutcome> SqliteStore::Resend(const NewRegistration& reg,
                                            const RegisterLimits& limits,
                                            const MailRenderer& render) {
  return Queue(reg, limits, render, /*create=*/false);  // no password_hash
}

Result<RegisterOutcome> SqliteStore::Queue(const NewRegistration& reg,
                                           const RegisterLimits& limits,
                                           const MailRenderer& render,
                                           bool create) {
  // Render and seal before the transaction, for the kind the account has
  // now (a read: no lock); the transaction renders again only if a link
  // verified the account in between.
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Result<MailKind> guess = KindFor(*reader.value(), reg.email_norm);
  if (!guess.ok()) return guess.status();
  Result<PreparedMail> mail = render(guess.value());
  if (!mail.ok()) return mail.status();

  RegisterOutcome outcome;
  Status s = lane_->Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    outcome = RegisterOutcome();
    Result<std::pair<std::int64_t, bool>> account =
        FindOrCreateAccount(db, reg, now, create);
    if (!account.ok()) return account.status();
    const auto [user_id, verified] = account.value();
    if (user_id == 0) return Status();  // a resend to nobody: nothing
    outcome.kind = verified ? MailKind::kExists : MailKind::kVerify;

    // Past a cap the registration is answered as usual and sends nothing.
    Result<const char*> capped = MailCapHit(db, reg.mailbox, limits, now);
    if (!capped.ok()) return capped.status();
    if (capped.value() != nullptr) {
      // One of the counters left on a write path: no row records a capped
      // registration.
      Stmt bump(db, "count capped",
                "INSERT INTO counters(name, value) VALUES(?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1");
      bump.Text(create ? capped.value() : "resend_capped_total");
      return bump.Run();
    }

    if (outcome.kind == MailKind::kVerify) {
      std::string password_hash = reg.password_hash;
      if (password_hash.empty()) {
        Result<std::string> latest = LatestPasswordHash(db, user_id);
        if (!latest.ok()) return latest.status();
        password_hash = latest.value();
      }
      Stmt token(db, "insert token",
                 "INSERT INTO tokens(hash, user_id, password_hash, "
                 "created_ms, expires_ms) VALUES(?, ?, ?, ?, ?)");
      token.Text(reg.token_hash)
          .Int(user_id)
          .Text(password_hash)
          .Int(now)
          .Int(now + limits.token_ttl_ms);
      Status st = token.Run();
      if (!st.ok()) return st;
    }

    std::optional<Result<PreparedMail>> again;
    if (outcome.kind != guess.value()) {
      again.emplace(render(outcome.kind));
      if (!again->ok()) return again->status();
    }
    const PreparedMail& m = again ? again->value() : mail.value();
    NewJob job;
    job.user_id = user_id;
    job.kind = outcome.kind == MailKind::kVerify ? "verify" : "exists";
    job.cause = create ? "register" : "resend";
    job.rcpt = reg.email;
    job.mailbox = reg.mailbox;
    job.message_id = m.message_id;
    job.sealed = m.sealed;
    job.created_ms = now;
    job.due_ms = now + limits.sweep_grace_ms;
    Result<std::int64_t> id = outbox_.Enqueue(txn, job);
    if (!id.ok()) return id.status();
    outcome.job_id = id.value();
    return Status();
  });
  if (!s.ok()) return s;
  return outcome;
}

Result<TokenState> SqliteStore::CheckToken(const std::string& token_hash,
                                           std::string* password_hash) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt find(*reader.value(), "find token",
            "SELECT expires_ms, used_ms IS NOT NULL, password_hash "
            "FROM tokens WHERE hash = ?");
  find.Text(token_hash);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::NotFound("unknown token");
  if (password_hash != nullptr) *password_hash = find.ColumnText(2);
  if (find.ColumnInt(1) != 0) return TokenState::kUsed;
  if (clock_->NowMs() >= find.ColumnInt(0))
    return Status::Gone("token expired");
  return TokenState::kValid;
}

Result<ActivateOutcome> SqliteStore::Activate(const std::string& token_hash,
                                              const EventSpec& events) {
  // The first look-up reads: an unknown, expired or used token (a random
  // one, a double click) costs no write transaction.
  Result<TokenState> state = CheckToken(token_hash);
  if (!state.ok()) return state.status();
  ActivateOutcome outcome;
  if (state.value() == TokenState::kUsed) {
    outcome.state = Activation::kAlreadyVerified;
    return outcome;
  }

  Status s = lane_->Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
    Database& db = txn.db();
    const std::int64_t now = clock_->NowMs();
    outcome = ActivateOutcome{Activation::kAlreadyVerified, 0};
    Stmt use(db, "use token",
             "UPDATE tokens SET used_ms = ? WHERE hash = ? AND used_ms IS NULL "
             "RETURNING user_id, password_hash");
    use.Int(now).Text(token_hash);
    Result<bool> used = use.Step();
    if (!used.ok()) return used.status();
    if (!used.value()) return Status();  // another click came first
    const std::int64_t user_id = use.ColumnInt(0);
    const std::string password_hash = use.ColumnText(1);
    if (Status done = use.Run(); !done.ok()) return done;
    // The account takes the password of the registration this link was
    // for, unless another link verified it first.
    Stmt verify(db, "verify account",
                "UPDATE users SET verified_ms = ?, password_hash = ? "
                "WHERE id = ? AND verified_ms IS NULL RETURNING email");
    verify.Int(now).Text(password_hash).Int(user_id);
    Result<bool> verified = verify.Step();
    if (!verified.ok()) return verified.status();
    if (!verified.value()) return Status();  // verified by another link
    const std::string email = verify.ColumnText(0);
    if (Status done = verify.Run(); !done.ok()) return done;
    outcome.state = Activation::kVerified;
    if (!events.render) return Status();
    Result<PreparedMail> event = events.render({user_id, email, now});
    if (!event.ok()) return event.status();
    NewJob job;
    job.user_id = user_id;
    job.channel = Channel::kWebhook;
    job.kind = "account.verified";
    job.cause = "activate";
    job.message_id = event.value().message_id;
    job.sealed = event.value().sealed;
    job.created_ms = now;
    job.due_ms = now + events.sweep_grace_ms;
    Result<std::int64_t> id = outbox_.Enqueue(txn, job);
    if (!id.ok()) return id.status();
    outcome.event_job_id = id.value();
    return Status();
  });
  if (!s.ok()) return s;
  return outcome;
}

Result<StoreTotals> SqliteStore::Totals() {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  // Jobs retention deleted stay counted ("retired:jobs").
  Stmt totals(*reader.value(), "totals",
              "SELECT (SELECT count(*) FROM outbox WHERE cause = 'register'), "
              "(SELECT count(*) FROM users WHERE verified_ms IS NOT NULL), "
              "(SELECT count(*) FROM outbox WHERE cause = 'resend')");
  Result<bool> row = totals.Step();
  if (!row.ok()) return row.status();
  StoreTotals t;
  t.activations = totals.ColumnInt(1);
  const std::int64_t jobs = totals.ColumnInt(0);
  Result<std::map<std::string, std::int64_t>> counters =
      ReadCounters(*reader.value());
  if (!counters.ok()) return counters.status();
  const auto get = [&](const char* name) {
    return CounterValue(counters.value(), name);
  };
  t.capped = get("mail_capped_total");
  t.capped_service = get("mail_capped_service_total");
  t.retention_accounts = get("retention_accounts_deleted_total");
  t.retention_mail_bodies = get("retention_mail_bodies_deleted_total");
  t.registrations = jobs + get("retired:jobs") + t.capped + t.capped_service;
  t.resends =
      totals.ColumnInt(2) + get("retired:resends") + get("resend_capped_total");
  return t;
}

Status SqliteStore::Ping() {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt ping(*reader.value(), "ping", "SELECT count(*) FROM counters");
  Result<bool> row = ping.Step();
  return row.ok() ? Status() : row.status();
}

}  // namespace reg
