// SqliteStore: the operator's look-ups of accounts (engine.h).
#include "storage/sqlite/engine.h"

namespace reg {
namespace {

#define ACCOUNT_COLUMNS                                       \
  "u.id, u.email, u.created_ms, COALESCE(u.verified_ms, 0), " \
  "(SELECT COUNT(*) FROM outbox o WHERE o.user_id = u.id), u.password_hash"

AccountRow ReadAccount(const Stmt& stmt) {
  AccountRow row;
  row.id = stmt.ColumnInt(0);
  row.email = stmt.ColumnText(1);
  row.created_ms = stmt.ColumnInt(2);
  row.verified_ms = stmt.ColumnInt(3);
  row.mails = static_cast<int>(stmt.ColumnInt(4));
  row.password_hash = stmt.ColumnText(5);
  return row;
}

}  // namespace

Result<std::vector<AccountRow>> SqliteStore::ListAccounts(
    const std::string& part, int limit) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  // instr() on lowercased text: no LIKE wildcards to escape.
  Stmt list(*reader.value(), "list accounts",
            "SELECT " ACCOUNT_COLUMNS
            " FROM users u WHERE ?1 = '' OR instr(lower(u.email), lower(?1)) "
            "> 0 ORDER BY u.id DESC LIMIT ?2");
  list.Text(part).Int(limit);
  std::vector<AccountRow> rows;
  for (;;) {
    Result<bool> row = list.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return rows;
    rows.push_back(ReadAccount(list));
  }
}

Result<AccountRow> SqliteStore::FindAccount(const std::string& email) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt find(*reader.value(), "find account row",
            "SELECT " ACCOUNT_COLUMNS
            " FROM users u WHERE u.email_norm = lower(?)");
  find.Text(email);
  Result<bool> row = find.Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::NotFound("no account " + email);
  return ReadAccount(find);
}

Result<std::vector<std::int64_t>> SqliteStore::AccountJobIds(
    std::int64_t account_id) {
  Result<Database*> reader = reader_->Get();
  if (!reader.ok()) return reader.status();
  Stmt jobs(*reader.value(), "account jobs",
            "SELECT id FROM outbox WHERE user_id = ? ORDER BY id");
  jobs.Int(account_id);
  std::vector<std::int64_t> ids;
  for (;;) {
    Result<bool> row = jobs.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return ids;
    ids.push_back(jobs.ColumnInt(0));
  }
}

}  // namespace reg

#undef ACCOUNT_COLUMNS  // unity builds: the next file may define its own
