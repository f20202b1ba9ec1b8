// PostgreSQL's TxnRows (storage/rows.h): the rows the engine-neutral
// writes read and write, in one of the write lane's transactions. Rows a
// decision rests on are read FOR UPDATE: a second host's transaction on
// the same job waits for this one.
#include "storage/mail_cap.h"
#include "storage/postgres/engine.h"

namespace reg {

Status PgTxnRows::AddCounter(const std::string& name, std::int64_t delta) {
  return PgAddCounter(conn_, name, delta);
}

Status PgTxnRows::RecordEvent(std::int64_t job_id, std::int64_t at_ms,
                              const char* event, std::string_view detail) {
  return PgRecordEvent(conn_, job_id, at_ms, event, detail);
}

// The job, its sealed message and its "queued" history line in one
// statement: in a batch every round trip is every piece's wait.
Result<std::int64_t> PgTxnRows::Enqueue(const NewJob& job) {
  Result<PgRows> inserted = conn_.Query(
      "WITH j AS (INSERT INTO outbox(user_id, channel, kind, cause, rcpt, "
      "  message_id, created_ms, next_attempt_ms, mailbox, domain, cap_ms, "
      "  changed_ms) "
      "  VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $7) "
      "  RETURNING id), "
      "m AS (INSERT INTO outbox_messages(job_id, message) "
      "  SELECT id, $10 FROM j), "
      "e AS (INSERT INTO outbox_events(job_id, at_ms, event) "
      "  SELECT id, $7, 'queued' FROM j) "
      "SELECT id FROM j",
      {job.user_id != 0 ? PgParam(job.user_id) : PgParam(),
       ChannelName(job.channel), job.kind, job.cause, job.rcpt,
       job.message_id, job.created_ms, job.due_ms,
       job.mailbox.empty() ? PgParam() : PgParam(job.mailbox),
       PgParam::Bytes(job.sealed),
       job.domain.empty() ? PgParam() : PgParam(job.domain),
       job.cap_ms != 0 ? PgParam(job.cap_ms) : PgParam()});
  if (!inserted.ok()) return inserted.status();
  return inserted.value().Int(0, 0);
}

Result<int> PgTxnRows::WrongCodesSince(const std::string& mailbox,
                                       std::int64_t since_ms) {
  Result<PgRows> n = conn_.Query(
      "SELECT count(*) FROM wrong_codes WHERE mailbox = $1 AND at_ms > $2",
      {mailbox, since_ms});
  if (!n.ok()) return n.status();
  return static_cast<int>(n.value().Int(0, 0));
}

Result<std::string> PgTxnRows::TokenOfCode(const std::string& receipt_hash,
                                           const std::string& code_mac,
                                           std::int64_t now_ms) {
  Result<PgRows> found = conn_.Query(
      "SELECT t.hash FROM receipts r JOIN tokens t "
      "ON t.registration = r.token_hash "
      "WHERE r.hash = $1 AND r.cause = 'register' AND r.expires_ms > $3 "
      "AND t.code_mac = $2 AND t.expires_ms > $3 LIMIT 1",
      {receipt_hash, code_mac, now_ms});
  if (!found.ok()) return found.status();
  return found.value().empty() ? std::string() : found.value().Text(0, 0);
}

Status PgTxnRows::AddWrongCode(const std::string& mailbox,
                               std::int64_t now_ms) {
  return conn_
      .Query("INSERT INTO wrong_codes(mailbox, at_ms) VALUES($1, $2)",
             {mailbox, now_ms})
      .status();
}

// A new address's row is made here; one racing for the same address waits
// on the unique index, then finds the row. FOR UPDATE holds it, so a
// verification cannot change its kind meanwhile.
Result<AccountRef> PgTxnRows::FindOrCreateAccount(const NewRegistration& reg,
                                                  std::int64_t now_ms,
                                                  bool create) {
  if (create) {
    Result<PgRows> inserted = conn_.Query(
        "INSERT INTO users(email, email_norm, password_hash, created_ms) "
        "VALUES($1, $2, $3, $4) ON CONFLICT (email_norm) DO NOTHING "
        "RETURNING id",
        {reg.email, reg.email_norm, reg.password_hash, now_ms});
    if (!inserted.ok()) return inserted.status();
    if (!inserted.value().empty()) {
      return AccountRef{inserted.value().Int(0, 0), false};
    }
  }
  Result<PgRows> found = conn_.Query(
      "SELECT id, verified_ms IS NOT NULL FROM users "
      "WHERE email_norm = $1 FOR UPDATE",
      {reg.email_norm});
  if (!found.ok()) return found.status();
  if (!found.value().empty()) {
    return AccountRef{found.value().Int(0, 0), found.value().Text(0, 1) == "t"};
  }
  if (create) return Status::Unavailable("account vanished");
  return AccountRef{};
}

Result<ChosenToken> PgTxnRows::ChosenRegistration(
    std::int64_t account_id, const std::string& chosen,
    const std::vector<std::string>& receipt_hashes) {
  std::vector<PgParam> params = {account_id};
  for (std::size_t i = 0; i < 3; i++) {
    params.push_back(i < receipt_hashes.size() ? PgParam(receipt_hashes[i])
                                               : PgParam(""));
  }
  params.push_back(chosen);
  Result<PgRows> found = conn_.Query(
      "SELECT t.hash, t.password_hash FROM tokens t "
      "WHERE t.user_id = $1 AND coalesce(t.registration, t.hash) = t.hash "
      "ORDER BY t.hash = $5 DESC, EXISTS (SELECT 1 FROM receipts r "
      "  WHERE r.token_hash = t.hash AND r.cause = 'register' "
      "  AND r.hash IN ($2, $3, $4)) DESC, t.created_ms DESC, t.hash "
      "LIMIT 1",
      params);
  if (!found.ok()) return found.status();
  if (!found.value().empty()) {
    return ChosenToken{found.value().Text(0, 0), found.value().Text(0, 1)};
  }
  Result<PgRows> account = conn_.Query(
      "SELECT password_hash FROM users WHERE id = $1", {account_id});
  if (!account.ok()) return account.status();
  return ChosenToken{"", account.value().Text(0, 0)};
}

Status PgTxnRows::InsertToken(const TokenRow& token) {
  return conn_
      .Query("INSERT INTO tokens(hash, user_id, password_hash, created_ms, "
             "expires_ms, registration, code_mac, receipt) "
             "VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
             {token.hash, token.account_id, token.password_hash,
              token.created_ms, token.expires_ms, token.registration,
              token.code_mac.empty() ? PgParam() : PgParam(token.code_mac),
              token.receipt.empty() ? PgParam() : PgParam(token.receipt)})
      .status();
}

Status PgTxnRows::ForgetCode(const std::string& token_hash) {
  if (token_hash.empty()) return Status();
  return conn_
      .Query("UPDATE tokens SET code_mac = NULL WHERE hash = $1", {token_hash})
      .status();
}

Result<bool> PgTxnRows::IsSuppressed(const std::string& address,
                                     std::int64_t now_ms) {
  Result<PgRows> found = conn_.Query(
      "SELECT 1 FROM suppressions WHERE address = $1 AND until_ms > $2",
      {address, now_ms});
  if (!found.ok()) return found.status();
  return !found.value().empty();
}

// MAIL_CAP's count runs in a write that holds the mailbox's advisory lock
// (Store::QueueMail names it, the lane takes it): mails to one mailbox, on
// any host, take turns.
Result<MailCounts> PgTxnRows::CountMails(const std::string& mailbox,
                                         const RegisterLimits& limits,
                                         std::int64_t now_ms) {
  MailCounts counts;
  if (MailCapCountsMailbox(limits)) {
    Result<PgRows> n = conn_.Query(
        "SELECT count(*) FILTER (WHERE created_ms > $2), count(*) "
        "FROM outbox WHERE mailbox = $1 AND created_ms > $3",
        {mailbox, now_ms - kMailCapHourMs, now_ms - kMailCapDayMs});
    if (!n.ok()) return n.status();
    counts.mailbox_hour = n.value().Int(0, 0);
    counts.mailbox_day = n.value().Int(0, 1);
  }
  if (limits.mail_cap_total > 0) {
    // No lock here: one for a domain would make every registration to a
    // big provider take turns across hosts. Mails to one domain queued at
    // once on several hosts may each take the hour's last place, so the
    // cap can be passed by as many (a handful, against thousands).
    Result<PgRows> n = conn_.Query(
        "SELECT cap_ms FROM outbox WHERE domain = $1 AND cap_ms > $2 "
        "ORDER BY cap_ms DESC LIMIT 1 OFFSET $3",
        {MailDomain(mailbox), now_ms - kMailCapHourMs,
         std::int64_t{limits.mail_cap_total - 1}});
    if (!n.ok()) return n.status();
    if (!n.value().empty()) counts.domain_nth_newest_ms = n.value().Int(0, 0);
  }
  return counts;
}

Status PgTxnRows::InsertReceipt(const NewReceipt& receipt) {
  return conn_
      .Query(
          "INSERT INTO receipts(hash, cause, job_id, not_sent, token_hash, "
          "created_ms, expires_ms, mailbox) "
          "VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
          {receipt.hash, receipt.own ? "register" : "resend",
           receipt.job_id != 0 ? PgParam(receipt.job_id) : PgParam(),
           receipt.not_sent != NotSent::kNo
               ? PgParam(NotSentName(receipt.not_sent))
               : PgParam(),
           receipt.token_hash.empty() ? PgParam() : PgParam(receipt.token_hash),
           receipt.created_ms, receipt.expires_ms,
           receipt.mailbox.empty() ? PgParam() : PgParam(receipt.mailbox)})
      .status();
}

Result<std::optional<UsedToken>> PgTxnRows::UseToken(
    const std::string& token_hash, std::int64_t now_ms) {
  // One statement: the token, and its registration's own receipt (which
  // the registration's own token holds).
  Result<PgRows> used = conn_.Query(
      "WITH t AS (UPDATE tokens SET used_ms = $1 "
      "  WHERE hash = $2 AND used_ms IS NULL "
      "  RETURNING user_id, password_hash, "
      "  coalesce(registration, hash) AS registration), "
      "r AS (UPDATE receipts SET verified_ms = $1 FROM t, tokens own "
      "  WHERE own.hash = t.registration AND receipts.hash = own.receipt "
      "  AND receipts.cause = 'register') "
      "SELECT user_id, password_hash FROM t",
      {now_ms, token_hash});
  if (!used.ok()) return used.status();
  if (used.value().empty()) return std::optional<UsedToken>();
  return std::optional<UsedToken>(
      UsedToken{used.value().Int(0, 0), used.value().Text(0, 1)});
}

Result<bool> PgTxnRows::VerifyAccount(std::int64_t account_id,
                                      const std::string& password_hash,
                                      std::int64_t now_ms) {
  Result<PgRows> verify = conn_.Query(
      "UPDATE users SET verified_ms = $1, password_hash = $2 "
      "WHERE id = $3 AND verified_ms IS NULL",
      {now_ms, password_hash, account_id});
  if (!verify.ok()) return verify.status();
  return verify.value().affected() > 0;
}

Result<std::optional<std::string>> PgTxnRows::NotifiedJob(
    const Notification& n) {
  Result<PgRows> job = conn_.Query(
      "SELECT coalesce(dsn_action, '') FROM outbox WHERE id = $1 "
      "AND channel = 'mail' AND lower(rcpt) = lower($2) "
      "AND created_ms / 1000 = $3 FOR UPDATE",
      {n.job_id, n.rcpt, n.created_s});
  if (!job.ok()) return job.status();
  if (job.value().empty()) return std::optional<std::string>();
  return std::optional<std::string>(job.value().Text(0, 0));
}

Status PgTxnRows::RecordNotice(std::int64_t job_id, bool failed,
                               const std::string& status,
                               std::int64_t now_ms) {
  return conn_
      .Query("UPDATE outbox SET dsn_action = $1, dsn_status = $2, "
             "dsn_ms = $3 WHERE id = $4 AND ($1 = 'failed' OR "
             "coalesce(dsn_action, '') <> 'failed')",
             {failed ? "failed" : "delayed", status, now_ms, job_id})
      .status();
}

Result<std::optional<SuppressionFacts>> PgTxnRows::SuppressionFactsOf(
    std::int64_t job_id, std::string_view state) {
  Result<PgRows> facts = conn_.Query(
      "SELECT o.rcpt, o.created_ms, greatest(coalesce(u.verified_ms, 0), "
      "coalesce(s.lifted_ms, 0)) FROM outbox o "
      "JOIN users u ON u.id = o.user_id "
      "LEFT JOIN suppressions s ON s.address = o.rcpt "
      "WHERE o.id = $1 AND o.channel = 'mail' "
      "AND ($2 = '' OR o.state = $2) FOR UPDATE OF o",
      {job_id, std::string(state)});
  if (!facts.ok()) return facts.status();
  if (facts.value().empty()) return std::optional<SuppressionFacts>();
  const PgRows& r = facts.value();
  return std::optional<SuppressionFacts>(
      SuppressionFacts{r.Text(0, 0), r.Int(0, 1), r.Int(0, 2)});
}

Status PgTxnRows::Suppress(const SuppressionRow& row) {
  return conn_
      .Query("INSERT INTO suppressions(address, status, job_id, since_ms, "
             "until_ms) VALUES($1, $2, $3, $4, $5) ON CONFLICT (address) DO "
             "UPDATE SET status = $2, job_id = $3, since_ms = $4, "
             "until_ms = $5",
             {row.address, row.status, row.job_id, row.since_ms,
              row.until_ms})
      .status();
}

}  // namespace reg
