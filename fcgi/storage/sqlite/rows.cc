// SQLite's TxnRows (storage/rows.h): the rows the engine-neutral writes
// read and write, in one of the write lane's transactions. The one writer
// holds every row it touches, and every mailbox, until it commits.
#include "storage/mail_cap.h"
#include "storage/sqlite/engine.h"

namespace reg {

Status SqliteTxnRows::AddCounter(const std::string& name, std::int64_t delta) {
  return reg::AddCounter(db_, name, delta);
}

Status SqliteTxnRows::RecordEvent(std::int64_t job_id, std::int64_t at_ms,
                                  const char* event, std::string_view detail) {
  return reg::RecordEvent(db_, job_id, at_ms, event, detail);
}

// The job, its sealed message and its "queued" history line.
Result<std::int64_t> SqliteTxnRows::Enqueue(const NewJob& job) {
  Stmt insert(db_, "insert job",
              "INSERT INTO outbox(user_id, channel, kind, cause, rcpt, "
              "message_id, created_ms, next_attempt_ms, mailbox, domain, "
              "cap_ms, changed_ms) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, nullif(?11, 0), "
              "?7)");
  if (job.user_id != 0) {
    insert.Int(job.user_id);
  } else {
    insert.Null();  // the "no account" mail belongs to no account
  }
  insert.Text(ChannelName(job.channel))
      .Text(job.kind)
      .Text(job.cause)
      .Text(job.rcpt)
      .Text(job.message_id)
      .Int(job.created_ms)
      .Int(job.due_ms)
      .TextOrNull(job.mailbox)
      .TextOrNull(job.domain)
      .Int(job.cap_ms);
  Status s = insert.Run();
  if (!s.ok()) return s;
  const std::int64_t id = insert.last_insert_id();
  Stmt message(db_, "insert message",
               "INSERT INTO outbox_messages(job_id, message) VALUES(?, ?)");
  message.Int(id).Blob(job.sealed);
  s = message.Run();
  if (!s.ok()) return s;
  s = AppendEvent(db_, id, job.created_ms, "queued", "");
  if (!s.ok()) return s;
  return id;
}

Result<int> SqliteTxnRows::WrongCodesSince(const std::string& mailbox,
                                           std::int64_t since_ms) {
  Stmt count(db_, "count wrong codes",
             "SELECT count(*) FROM wrong_codes "
             "WHERE mailbox = ? AND at_ms > ?");
  count.Text(mailbox).Int(since_ms);
  Result<bool> row = count.Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(count.ColumnInt(0));
}

Result<std::string> SqliteTxnRows::TokenOfCode(const std::string& receipt_hash,
                                               const std::string& code_mac,
                                               std::int64_t now_ms) {
  Stmt find(db_, "token of code",
            "SELECT t.hash FROM receipts r JOIN tokens t "
            "ON t.registration = r.token_hash "
            "WHERE r.hash = ?1 AND r.cause = 'register' "
            "AND r.expires_ms > ?3 AND t.code_mac = ?2 "
            "AND t.expires_ms > ?3 LIMIT 1");
  find.Text(receipt_hash).Text(code_mac).Int(now_ms);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  return row.value() ? find.ColumnText(0) : std::string();
}

Status SqliteTxnRows::AddWrongCode(const std::string& mailbox,
                                   std::int64_t now_ms) {
  Stmt insert(db_, "add wrong code",
              "INSERT INTO wrong_codes(mailbox, at_ms) VALUES(?, ?)");
  insert.Text(mailbox).Int(now_ms);
  return insert.Run();
}

Result<AccountRef> SqliteTxnRows::FindOrCreateAccount(
    const NewRegistration& reg, std::int64_t now_ms, bool create) {
  {
    Stmt find(db_, "find account",
              "SELECT id, verified_ms IS NOT NULL FROM users "
              "WHERE email_norm = ?");
    find.Text(reg.email_norm);
    Result<bool> row = find.Step();
    if (!row.ok()) return row.status();
    if (row.value()) return AccountRef{find.ColumnInt(0), find.ColumnInt(1) != 0};
  }
  if (!create) return AccountRef{};
  Stmt insert(db_, "insert account",
              "INSERT INTO users(email, email_norm, password_hash, created_ms) "
              "VALUES(?, ?, ?, ?)");
  insert.Text(reg.email).Text(reg.email_norm).Text(reg.password_hash).Int(
      now_ms);
  Status s = insert.Run();
  if (!s.ok()) return s;
  return AccountRef{insert.last_insert_id(), false};
}

Result<ChosenToken> SqliteTxnRows::ChosenRegistration(
    std::int64_t account_id, const std::string& chosen,
    const std::vector<std::string>& receipt_hashes) {
  Stmt find(db_, "chosen registration",
            "SELECT t.hash, t.password_hash FROM tokens t "
            "WHERE t.user_id = ?1 AND coalesce(t.registration, t.hash) = t.hash "
            "ORDER BY t.hash = ?5 DESC, EXISTS (SELECT 1 FROM receipts r "
            "  WHERE r.token_hash = t.hash AND r.cause = 'register' "
            "  AND r.hash IN (?2, ?3, ?4)) DESC, t.created_ms DESC, t.hash "
            "LIMIT 1");
  find.Int(account_id);
  for (std::size_t i = 0; i < 3; i++) {
    find.Text(i < receipt_hashes.size() ? receipt_hashes[i] : std::string());
  }
  find.Text(chosen);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (row.value()) return ChosenToken{find.ColumnText(0), find.ColumnText(1)};
  Stmt account(db_, "account password",
               "SELECT password_hash FROM users WHERE id = ?");
  account.Int(account_id);
  row = account.Step();
  if (!row.ok()) return row.status();
  return ChosenToken{"", account.ColumnText(0)};
}

Status SqliteTxnRows::InsertToken(const TokenRow& token) {
  Stmt insert(db_, "insert token",
              "INSERT INTO tokens(hash, user_id, password_hash, created_ms, "
              "expires_ms, registration, code_mac, receipt) "
              "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  insert.Text(token.hash)
      .Int(token.account_id)
      .Text(token.password_hash)
      .Int(token.created_ms)
      .Int(token.expires_ms)
      .Text(token.registration)
      .TextOrNull(token.code_mac)
      .TextOrNull(token.receipt);
  return insert.Run();
}

Status SqliteTxnRows::ForgetCode(const std::string& token_hash) {
  if (token_hash.empty()) return Status();
  Stmt forget(db_, "forget code",
              "UPDATE tokens SET code_mac = NULL WHERE hash = ?");
  forget.Text(token_hash);
  return forget.Run();
}

Result<bool> SqliteTxnRows::IsSuppressed(const std::string& address,
                                         std::int64_t now_ms) {
  Stmt find(db_, "is suppressed",
            "SELECT 1 FROM suppressions WHERE address = ? AND until_ms > ?");
  find.Text(address).Int(now_ms);
  return find.Step();
}

// The one writer makes every count exact.
Result<MailCounts> SqliteTxnRows::CountMails(const std::string& mailbox,
                                             const RegisterLimits& limits,
                                             std::int64_t now_ms) {
  MailCounts counts;
  if (MailCapCountsMailbox(limits)) {
    Stmt count(db_, "count mails",
               "SELECT coalesce(sum(created_ms > ?2), 0), count(*) "
               "FROM outbox WHERE mailbox = ?1 AND created_ms > ?3");
    count.Text(mailbox).Int(now_ms - kMailCapHourMs).Int(now_ms -
                                                          kMailCapDayMs);
    Result<bool> row = count.Step();
    if (!row.ok()) return row.status();
    counts.mailbox_hour = count.ColumnInt(0);
    counts.mailbox_day = count.ColumnInt(1);
  }
  if (limits.mail_cap_total > 0) {
    Stmt nth(db_, "domain's nth newest mail",
             "SELECT cap_ms FROM outbox WHERE domain = ? AND cap_ms > ? "
             "ORDER BY cap_ms DESC LIMIT 1 OFFSET ?");
    nth.Text(MailDomain(mailbox))
        .Int(now_ms - kMailCapHourMs)
        .Int(limits.mail_cap_total - 1);
    Result<bool> row = nth.Step();
    if (!row.ok()) return row.status();
    if (row.value()) counts.domain_nth_newest_ms = nth.ColumnInt(0);
  }
  return counts;
}

Status SqliteTxnRows::InsertReceipt(const NewReceipt& receipt) {
  Stmt insert(db_, "insert receipt",
              "INSERT INTO receipts(hash, cause, job_id, not_sent, token_hash, "
              "created_ms, expires_ms, mailbox) VALUES(?, ?, nullif(?, 0), "
              "nullif(?, ''), nullif(?, ''), ?, ?, nullif(?, ''))");
  insert.Text(receipt.hash)
      .Text(receipt.own ? "register" : "resend")
      .Int(receipt.job_id)
      .Text(NotSentName(receipt.not_sent))
      .Text(receipt.token_hash)
      .Int(receipt.created_ms)
      .Int(receipt.expires_ms)
      .Text(receipt.mailbox);
  return insert.Run();
}

Result<std::optional<UsedToken>> SqliteTxnRows::UseToken(
    const std::string& token_hash, std::int64_t now_ms) {
  Stmt use(db_, "use token",
           "UPDATE tokens SET used_ms = ? WHERE hash = ? AND used_ms IS NULL "
           "RETURNING user_id, password_hash, coalesce(registration, hash)");
  use.Int(now_ms).Text(token_hash);
  Result<bool> used = use.Step();
  if (!used.ok()) return used.status();
  if (!used.value()) return std::optional<UsedToken>();
  UsedToken token{use.ColumnInt(0), use.ColumnText(1)};
  const std::string registration = use.ColumnText(2);
  if (Status done = use.Run(); !done.ok()) return done;
  // The registration's own token holds the receipt of its POST /register.
  Stmt mark(db_, "receipt verified",
            "UPDATE receipts SET verified_ms = ? WHERE cause = 'register' "
            "AND hash = (SELECT receipt FROM tokens WHERE hash = ?)");
  mark.Int(now_ms).Text(registration);
  if (Status done = mark.Run(); !done.ok()) return done;
  return std::optional<UsedToken>(std::move(token));
}

Result<bool> SqliteTxnRows::VerifyAccount(std::int64_t account_id,
                                          const std::string& password_hash,
                                          std::int64_t now_ms) {
  Stmt verify(db_, "verify account",
              "UPDATE users SET verified_ms = ?, password_hash = ? "
              "WHERE id = ? AND verified_ms IS NULL");
  verify.Int(now_ms).Text(password_hash).Int(account_id);
  if (Status done = verify.Run(); !done.ok()) return done;
  return verify.changes() > 0;
}

Result<std::optional<std::string>> SqliteTxnRows::NotifiedJob(
    const Notification& n) {
  Stmt job(db_, "notified job",
           "SELECT coalesce(dsn_action, '') FROM outbox WHERE id = ? "
           "AND channel = 'mail' AND lower(rcpt) = lower(?) "
           "AND created_ms / 1000 = ?");
  job.Int(n.job_id).Text(n.rcpt).Int(n.created_s);
  Result<bool> row = job.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return std::optional<std::string>();
  return std::optional<std::string>(job.ColumnText(0));
}

Status SqliteTxnRows::RecordNotice(std::int64_t job_id, bool failed,
                                   const std::string& status,
                                   std::int64_t now_ms) {
  Stmt record(db_, "record notification",
              "UPDATE outbox SET dsn_action = ?1, dsn_status = ?2, "
              "dsn_ms = ?3 WHERE id = ?4 "
              "AND (?1 = 'failed' OR coalesce(dsn_action, '') <> 'failed')");
  record.Text(failed ? "failed" : "delayed").Text(status).Int(now_ms).Int(
      job_id);
  return record.Run();
}

Result<std::optional<SuppressionFacts>> SqliteTxnRows::SuppressionFactsOf(
    std::int64_t job_id, std::string_view state) {
  Stmt facts(db_, "suppression facts",
             "SELECT o.rcpt, o.created_ms, max(coalesce(u.verified_ms, 0), "
             "coalesce(s.lifted_ms, 0)) FROM outbox o "
             "JOIN users u ON u.id = o.user_id "
             "LEFT JOIN suppressions s ON s.address = o.rcpt "
             "WHERE o.id = ?1 AND o.channel = 'mail' "
             "AND (?2 = '' OR o.state = ?2)");
  facts.Int(job_id).Text(state);
  Result<bool> row = facts.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return std::optional<SuppressionFacts>();
  return std::optional<SuppressionFacts>(SuppressionFacts{
      facts.ColumnText(0), facts.ColumnInt(1), facts.ColumnInt(2)});
}

Status SqliteTxnRows::Suppress(const SuppressionRow& row) {
  Stmt upsert(db_, "suppress address",
              "INSERT INTO suppressions(address, status, job_id, since_ms, "
              "until_ms) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(address) DO "
              "UPDATE SET status = ?2, job_id = ?3, since_ms = ?4, "
              "until_ms = ?5");
  upsert.Text(row.address)
      .Text(row.status)
      .Int(row.job_id)
      .Int(row.since_ms)
      .Int(row.until_ms);
  return upsert.Run();
}

}  // namespace reg
