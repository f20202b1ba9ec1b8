// SqliteStore: accounts and tokens (engine.h).
#include "storage/jobs.h"
#include "storage/mail_cap.h"
#include "storage/sqlite/engine.h"
#include "storage/totals.h"

namespace reg {
SqliteStore::SqliteStore(std::unique_ptr<Reader> reader, WriteLane* lane,
                         const Clock* clock)
    : reader_(std::move(reader)), lane_(lane), clock_(clock) {}

Result<ResendRegistration> SqliteStore::ResendTarget(
    const NewRegistration& reg) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  // As ChosenRegistration: the cookie's registration, else the newest; an
  // account with no registration token is dated by its own row.
  Stmt find(*reader.value(), "resend target",
            "SELECT coalesce(t.hash, ''), coalesce(t.created_ms, u.created_ms) "
            "FROM users u LEFT JOIN tokens t ON t.user_id = u.id "
            "  AND coalesce(t.registration, t.hash) = t.hash "
            "WHERE u.email_norm = ?1 AND u.verified_ms IS NULL "
            "ORDER BY EXISTS (SELECT 1 FROM receipts r "
            "  WHERE r.token_hash = t.hash AND r.cause = 'register' "
            "  AND r.hash IN (?2, ?3, ?4)) DESC, t.created_ms DESC, t.hash "
            "LIMIT 1");
  find.Text(reg.email_norm);
  for (std::size_t i = 0; i < 3; i++) {
    find.Text(i < reg.cookie_receipt_hashes.size() ? reg.cookie_receipt_hashes[i]
                                                   : std::string());
  }
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  ResendRegistration target;
  if (row.value()) {
    target.hash = find.ColumnText(0);
    target.registered_ms = find.ColumnInt(1);
  }
  return target;
}

Result<TokenInfo> SqliteStore::LookUpToken(const std::string& token_hash) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt find(*reader.value(), "find token",
            "SELECT t.expires_ms, t.used_ms IS NOT NULL, t.password_hash, "
            "t.user_id, u.email, coalesce(t.registration, t.hash), "
            "t.password_tries, u.verified_ms IS NOT NULL, "
            "coalesce((SELECT r.created_ms FROM tokens r "
            "  WHERE r.hash = t.registration), t.created_ms) "
            "FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?");
  find.Text(token_hash);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::NotFound("unknown token");
  TokenInfo info;
  info.password_hash = find.ColumnText(2);
  info.account_id = find.ColumnInt(3);
  info.email = find.ColumnText(4);
  info.registration_hash = find.ColumnText(5);
  info.password_tries = static_cast<int>(find.ColumnInt(6));
  info.account_verified = find.ColumnInt(7) != 0;
  info.registered_ms = find.ColumnInt(8);
  if (find.ColumnInt(1) != 0) {
    info.state = TokenState::kUsed;
  } else if (clock_->NowMs() >= find.ColumnInt(0)) {
    return Status::Gone("token expired");
  }
  return info;
}

// The one writer holds every mailbox: a mailbox needs no lock of its own.
Status SqliteStore::Write(Durability durability,
                          const std::string& /*mailbox*/,
                          const RowsWork& work) {
  return lane_->Run(durability, [&](SqliteTxn& txn) -> Status {
    SqliteTxnRows rows(txn);
    return work(rows, clock_->NowMs());
  });
}

Result<ReceiptFacts> SqliteStore::LookUpReceipt(
    const std::string& receipt_hash) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt find(*reader.value(), "find receipt",
            "SELECT r.cause = 'register', r.created_ms, "
            "coalesce(r.not_sent, ''), coalesce(r.job_id, 0), "
            "coalesce(o.state, ''), coalesce(o.attempts, 0), "
            "coalesce(o.next_attempt_ms, 0), coalesce(o.last_reply, ''), "
            "coalesce(o.sent_ms, 0), coalesce(o.changed_ms, 0), "
            "coalesce(r.verified_ms, 0), "
            "coalesce(o.dsn_action, ''), coalesce(o.dsn_status, ''), "
            "coalesce(o.dsn_ms, 0), "
            "CASE WHEN o.cap_ms > o.created_ms THEN o.cap_ms ELSE 0 END "
            "FROM receipts r LEFT JOIN outbox o ON o.id = r.job_id "
            "WHERE r.hash = ? AND r.expires_ms > ?");
  find.Text(receipt_hash).Int(clock_->NowMs());
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::NotFound("unknown receipt");
  ReceiptFacts f;
  f.own = find.ColumnInt(0) != 0;
  f.created_ms = find.ColumnInt(1);
  f.not_sent = NotSentFromName(find.ColumnText(2));
  f.job_id = find.ColumnInt(3);
  f.job_state = find.ColumnText(4);
  f.attempts = static_cast<int>(find.ColumnInt(5));
  f.next_attempt_ms = find.ColumnInt(6);
  f.last_reply = find.ColumnText(7);
  f.sent_ms = find.ColumnInt(8);
  f.changed_ms = find.ColumnInt(9);
  f.verified_ms = find.ColumnInt(10);
  SetNotificationFacts(find.ColumnText(11), find.ColumnText(12),
                       find.ColumnInt(13), &f);
  f.delayed_until_ms = find.ColumnInt(14);
  return f;
}

Result<bool> SqliteStore::ReceiptProves(
    const std::vector<std::string>& receipt_hashes,
    const std::string& registration_hash) {
  if (receipt_hashes.empty()) return false;
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt find(*reader.value(), "receipt proves",
            "SELECT count(*) FROM receipts WHERE cause = 'register' "
            "AND token_hash = ?1 AND expires_ms > ?2 AND hash IN (?3, ?4, ?5)");
  find.Text(registration_hash).Int(clock_->NowMs());
  for (std::size_t i = 0; i < 3; i++) {
    find.Text(i < receipt_hashes.size() ? receipt_hashes[i] : std::string());
  }
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  return find.ColumnInt(0) > 0;
}

Result<std::string> SqliteStore::ResendCodeReceipt(
    const std::string& resend_hash,
    const std::vector<std::string>& receipt_hashes) {
  if (receipt_hashes.empty()) return std::string();
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  // The resent link's registration (its own token's hash), and the own
  // receipt that names it.
  Stmt find(*reader.value(), "resend code receipt",
            "SELECT o.hash FROM receipts s "
            "JOIN tokens t ON t.hash = s.token_hash "
            "JOIN users u ON u.id = t.user_id "
            "JOIN receipts o ON o.cause = 'register' "
            "  AND o.token_hash = coalesce(t.registration, t.hash) "
            "WHERE s.hash = ?1 AND s.cause = 'resend' AND s.expires_ms > ?2 "
            "AND s.job_id IS NOT NULL AND t.code_mac IS NOT NULL "
            "AND t.used_ms IS NULL AND t.expires_ms > ?2 "
            "AND u.verified_ms IS NULL "
            "AND o.expires_ms > ?2 AND o.hash IN (?3, ?4, ?5) LIMIT 1");
  find.Text(resend_hash).Int(clock_->NowMs());
  for (std::size_t i = 0; i < 3; i++) {
    find.Text(i < receipt_hashes.size() ? receipt_hashes[i] : std::string());
  }
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  return row.value() ? find.ColumnText(0) : std::string();
}

Result<int> SqliteStore::CountWrongPassword(const std::string& token_hash) {
  int tries = 0;
  Status s = lane_->Run(Durability::kDurable, [&](SqliteTxn& txn) -> Status {
    Stmt count(txn.db(), "count wrong password",
               "UPDATE tokens SET password_tries = password_tries + 1 "
               "WHERE hash = ? RETURNING password_tries");
    count.Text(token_hash);
    Result<bool> row = count.Step();
    if (!row.ok()) return row.status();
    tries = row.value() ? static_cast<int>(count.ColumnInt(0)) : 0;
    return count.Run();
  });
  if (!s.ok()) return s;
  return tries;
}

Result<CodeReceipt> SqliteStore::CodeReceiptOf(
    const std::string& receipt_hash) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  // Older receipts have no mailbox: their codes count under the receipt.
  Stmt find(*reader.value(), "code receipt",
            "SELECT coalesce(mailbox, 'receipt:' || hash) FROM receipts "
            "WHERE hash = ? AND expires_ms > ?");
  find.Text(receipt_hash).Int(clock_->NowMs());
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::NotFound("unknown receipt");
  return CodeReceipt{find.ColumnText(0)};
}

Result<StoreTotals> SqliteStore::Totals() {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt totals(*reader.value(), "totals",
              "SELECT (SELECT count(*) FROM outbox WHERE cause = 'register'), "
              "(SELECT count(*) FROM outbox WHERE cause = 'resend' "
              "AND kind <> 'no_account'), "
              "(SELECT count(*) FROM users WHERE verified_ms IS NOT NULL), "
              "(SELECT count(*) FROM receipts), "
              "(SELECT count(*) FROM suppressions WHERE until_ms > ?), "
              "(SELECT count(*) FROM outbox WHERE state = 'queued' "
              "  AND attempts = 0 AND cap_ms > created_ms)");
  totals.Int(clock_->NowMs());
  Result<bool> row = totals.Step();
  if (!row.ok()) return row.status();
  const RowTotals rows{totals.ColumnInt(0), totals.ColumnInt(1),
                       totals.ColumnInt(2), totals.ColumnInt(3),
                       totals.ColumnInt(4), totals.ColumnInt(5)};
  Result<Counters> counters = ReadCounters(*reader.value());
  if (!counters.ok()) return counters.status();
  return TotalsFrom(rows, counters.value());
}

Status SqliteStore::Ping() {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt ping(*reader.value(), "ping", "SELECT count(*) FROM counters");
  Result<bool> row = ping.Step();
  return row.ok() ? Status() : row.status();
}

}  // namespace reg
