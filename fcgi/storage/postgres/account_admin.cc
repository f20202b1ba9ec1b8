// PgStore: the operator's look-ups of accounts (engine.h).
#include "storage/postgres/engine.h"

namespace reg {
namespace {

#define ACCOUNT_COLUMNS                                       \
  "u.id, u.email, u.created_ms, coalesce(u.verified_ms, 0), " \
  "(SELECT count(*) FROM outbox o WHERE o.user_id = u.id), u.password_hash"

AccountRow ReadAccount(const PgRows& rows, int row) {
  AccountRow a;
  a.id = rows.Int(row, 0);
  a.email = rows.Text(row, 1);
  a.created_ms = rows.Int(row, 2);
  a.verified_ms = rows.Int(row, 3);
  a.mails = static_cast<int>(rows.Int(row, 4));
  a.password_hash = rows.Text(row, 5);
  return a;
}

}  // namespace

Result<std::vector<AccountRow>> PgStore::ListAccounts(const std::string& part,
                                                      int limit) {
  // strpos() on lowercased text: no LIKE wildcards to escape.
  Result<PgRows> rows =
      conn_->Query("SELECT " ACCOUNT_COLUMNS
                   " FROM users u WHERE $1::text = '' OR "
                   "strpos(lower(u.email), lower($1::text)) > 0 "
                   "ORDER BY u.id DESC LIMIT $2",
                   {part, limit});
  if (!rows.ok()) return rows.status();
  std::vector<AccountRow> accounts;
  for (int i = 0; i < rows.value().size(); i++) {
    accounts.push_back(ReadAccount(rows.value(), i));
  }
  return accounts;
}

Result<AccountRow> PgStore::FindAccount(const std::string& email) {
  // email_norm is ASCII-lowercased (NormalizeEmail); lower() of a
  // non-ASCII letter would differ, so only ASCII is folded here too.
  Result<PgRows> rows =
      conn_->Query("SELECT " ACCOUNT_COLUMNS
                   " FROM users u WHERE u.email_norm = "
                   "translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                   "'abcdefghijklmnopqrstuvwxyz')",
                   {email});
  if (!rows.ok()) return rows.status();
  if (rows.value().empty()) return Status::NotFound("no account " + email);
  return ReadAccount(rows.value(), 0);
}

Result<std::vector<std::int64_t>> PgStore::AccountJobIds(
    std::int64_t account_id) {
  Result<PgRows> rows = conn_->Query(
      "SELECT id FROM outbox WHERE user_id = $1 ORDER BY id", {account_id});
  if (!rows.ok()) return rows.status();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < rows.value().size(); i++) {
    ids.push_back(rows.value().Int(i, 0));
  }
  return ids;
}

}  // namespace reg

#undef ACCOUNT_COLUMNS  // unity builds: the next file may define its own
