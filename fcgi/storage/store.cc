#include "storage/store.h"

namespace reg {

Status BumpCounter(Database* db, std::string_view name, std::int64_t delta) {
  Status s;
  sqlite3_stmt* stmt = db->Prepare(
      "INSERT INTO counters(name, value) VALUES(?, ?) "
      "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
      &s);
  if (stmt == nullptr) return s;
  Binder b(stmt);
  b.Text(name).Int(delta);
  int rc = b.rc() == SQLITE_OK ? sqlite3_step(stmt) : b.rc();
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "bump counter");
  return Status();
}

Status Store::Bump(const char* counter) { return BumpCounter(db_, counter, 1); }

Result<std::int64_t> Store::CountMailsSince(const char* sql,
                                            std::string_view mailbox,
                                            std::int64_t since_ms) {
  Status s;
  sqlite3_stmt* count = db_->Prepare(sql, &s);
  if (count == nullptr) return s;
  Binder b(count);
  if (!mailbox.empty()) b.Text(mailbox);
  b.Int(since_ms);
  int rc = sqlite3_step(count);
  if (rc != SQLITE_ROW) return SqliteError(db_->raw(), rc, "count mails");
  const std::int64_t n = ColumnInt(count, 0);
  sqlite3_reset(count);
  return n;
}

Result<const char*> Store::MailCapHit(const std::string& mailbox,
                                      const RegisterLimits& limits,
                                      std::int64_t now) {
  const std::int64_t hour_ago = now - 3600 * 1000LL;
  if (limits.mail_cap > 0) {
    Result<std::int64_t> n = CountMailsSince(
        "SELECT count(*) FROM outbox WHERE mailbox = ? AND created_ms > ?",
        mailbox, hour_ago);
    if (!n.ok()) return n.status();
    if (n.value() >= limits.mail_cap) return "mail_capped_total";
  }
  if (limits.mail_cap_total > 0) {
    Result<std::int64_t> n = CountMailsSince(
        "SELECT count(*) FROM outbox WHERE created_ms > ?", "", hour_ago);
    if (!n.ok()) return n.status();
    if (n.value() >= limits.mail_cap_total) return "mail_capped_service_total";
  }
  return static_cast<const char*>(nullptr);
}

Result<RegisterOutcome> Store::Register(const NewRegistration& reg,
                                        const RegisterLimits& limits,
                                        const MailRenderer& render) {
  const std::int64_t now = clock_->NowMs();
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Status s = Bump("registrations_total");
  if (!s.ok()) return s;

  sqlite3_stmt* find = db_->Prepare(
      "SELECT id, verified_ms IS NOT NULL FROM users WHERE email_norm = ?", &s);
  if (find == nullptr) return s;
  Binder(find).Text(reg.email_norm);
  std::int64_t user_id = 0;
  bool verified = false;
  int rc = sqlite3_step(find);
  if (rc == SQLITE_ROW) {
    user_id = ColumnInt(find, 0);
    verified = ColumnInt(find, 1) != 0;
  } else if (rc != SQLITE_DONE) {
    return SqliteError(db_->raw(), rc, "find account");
  }
  sqlite3_reset(find);

  if (user_id == 0) {
    sqlite3_stmt* insert = db_->Prepare(
        "INSERT INTO users(email, email_norm, password_hash, created_ms) "
        "VALUES(?, ?, ?, ?)",
        &s);
    if (insert == nullptr) return s;
    Binder(insert)
        .Text(reg.email)
        .Text(reg.email_norm)
        .Text(reg.password_hash)
        .Int(now);
    rc = sqlite3_step(insert);
    if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "insert account");
    user_id = sqlite3_last_insert_rowid(db_->raw());
  }

  RegisterOutcome outcome;
  outcome.kind = verified ? MailKind::kExists : MailKind::kVerify;

  // Past a cap the registration is answered as usual and sends nothing.
  Result<const char*> capped = MailCapHit(reg.mailbox, limits, now);
  if (!capped.ok()) return capped.status();
  if (capped.value() != nullptr) {
    s = Bump(capped.value());
    if (!s.ok()) return s;
    s = txn.Commit();
    if (!s.ok()) return s;
    return outcome;
  }

  if (outcome.kind == MailKind::kVerify) {
    sqlite3_stmt* token = db_->Prepare(
        "INSERT INTO tokens(hash, user_id, password_hash, created_ms, "
        "expires_ms) VALUES(?, ?, ?, ?, ?)",
        &s);
    if (token == nullptr) return s;
    Binder(token)
        .Text(reg.token_hash)
        .Int(user_id)
        .Text(reg.password_hash)
        .Int(now)
        .Int(now + limits.token_ttl_ms);
    rc = sqlite3_step(token);
    if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "insert token");
  }

  Result<PreparedMail> mail = render(outcome.kind);
  if (!mail.ok()) return mail.status();
  sqlite3_stmt* job = db_->Prepare(
      "INSERT INTO outbox(user_id, kind, rcpt, message_id, message, "
      "created_ms, next_attempt_ms, mailbox) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
      &s);
  if (job == nullptr) return s;
  Binder(job)
      .Int(user_id)
      .Text(outcome.kind == MailKind::kVerify ? "verify" : "exists")
      .Text(reg.email)
      .Text(mail.value().message_id)
      .Blob(mail.value().sealed)
      .Int(now)
      .Int(now + limits.sweep_grace_ms)
      .Text(reg.mailbox);
  rc = sqlite3_step(job);
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "insert job");
  outcome.job_id = sqlite3_last_insert_rowid(db_->raw());

  sqlite3_stmt* event = db_->Prepare(
      "INSERT INTO outbox_events(job_id, at_ms, event) VALUES(?, ?, 'queued')",
      &s);
  if (event == nullptr) return s;
  Binder(event).Int(outcome.job_id).Int(now);
  rc = sqlite3_step(event);
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "insert event");

  s = txn.Commit();
  if (!s.ok()) return s;
  return outcome;
}

Result<TokenState> Store::CheckToken(const std::string& token_hash,
                                     std::string* password_hash) {
  Status s;
  sqlite3_stmt* stmt = db_->Prepare(
      "SELECT expires_ms, used_ms IS NOT NULL, password_hash FROM tokens "
      "WHERE hash = ?",
      &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Text(token_hash);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return Status::NotFound("unknown token");
  if (rc != SQLITE_ROW) return SqliteError(db_->raw(), rc, "find token");
  std::int64_t expires = ColumnInt(stmt, 0);
  bool used = ColumnInt(stmt, 1) != 0;
  if (password_hash != nullptr) *password_hash = ColumnText(stmt, 2);
  sqlite3_reset(stmt);
  if (used) return TokenState::kUsed;
  if (clock_->NowMs() >= expires) return Status::Gone("token expired");
  return TokenState::kValid;
}

Result<Activation> Store::Activate(const std::string& token_hash) {
  const std::int64_t now = clock_->NowMs();
  Transaction txn(db_);
  if (!txn.status().ok()) return txn.status();
  Status s;
  sqlite3_stmt* find = db_->Prepare(
      "SELECT user_id, password_hash, expires_ms, used_ms IS NOT NULL "
      "FROM tokens WHERE hash = ?",
      &s);
  if (find == nullptr) return s;
  Binder(find).Text(token_hash);
  int rc = sqlite3_step(find);
  if (rc == SQLITE_DONE) return Status::NotFound("unknown token");
  if (rc != SQLITE_ROW) return SqliteError(db_->raw(), rc, "find token");
  std::int64_t user_id = ColumnInt(find, 0);
  std::string password_hash = ColumnText(find, 1);
  std::int64_t expires = ColumnInt(find, 2);
  bool used = ColumnInt(find, 3) != 0;
  sqlite3_reset(find);
  if (used) return Activation::kAlreadyVerified;  // a double click
  if (now >= expires) return Status::Gone("token expired");

  // The account takes the password of the registration this link was for,
  // unless another link verified it first.
  sqlite3_stmt* verify = db_->Prepare(
      "UPDATE users SET verified_ms = ?, password_hash = ? "
      "WHERE id = ? AND verified_ms IS NULL",
      &s);
  if (verify == nullptr) return s;
  Binder(verify).Int(now).Text(password_hash).Int(user_id);
  rc = sqlite3_step(verify);
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "verify account");
  bool newly_verified = sqlite3_changes(db_->raw()) > 0;

  sqlite3_stmt* use =
      db_->Prepare("UPDATE tokens SET used_ms = ? WHERE hash = ?", &s);
  if (use == nullptr) return s;
  Binder(use).Int(now).Text(token_hash);
  rc = sqlite3_step(use);
  if (rc != SQLITE_DONE) return SqliteError(db_->raw(), rc, "use token");
  if (newly_verified) {
    s = Bump("activations_total");
    if (!s.ok()) return s;
  }
  s = txn.Commit();
  if (!s.ok()) return s;
  return newly_verified ? Activation::kVerified : Activation::kAlreadyVerified;
}

Status Store::Ping() {
  Status s;
  sqlite3_stmt* stmt = db_->Prepare("SELECT count(*) FROM counters", &s);
  if (stmt == nullptr) return s;
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_ROW) return SqliteError(db_->raw(), rc, "ping");
  return Status();
}

}  // namespace reg
