#include "storage/account_admin.h"

namespace reg {
namespace {

#define ACCOUNT_COLUMNS                                       \
  "u.id, u.email, u.created_ms, COALESCE(u.verified_ms, 0), " \
  "(SELECT COUNT(*) FROM outbox o WHERE o.user_id = u.id)"

AccountRow ReadAccount(sqlite3_stmt* stmt) {
  AccountRow row;
  row.id = ColumnInt(stmt, 0);
  row.email = ColumnText(stmt, 1);
  row.created_ms = ColumnInt(stmt, 2);
  row.verified_ms = ColumnInt(stmt, 3);
  row.mails = static_cast<int>(ColumnInt(stmt, 4));
  return row;
}

}  // namespace

Result<std::vector<AccountRow>> ListAccounts(Database* db,
                                             const std::string& part,
                                             int limit) {
  Status s;
  // instr() on lowercased text: no LIKE wildcards to escape.
  sqlite3_stmt* stmt = db->Prepare(
      "SELECT " ACCOUNT_COLUMNS
      " FROM users u WHERE ?1 = '' OR instr(lower(u.email), lower(?1)) > 0 "
      "ORDER BY u.id DESC LIMIT ?2",
      &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Text(part).Int(limit);
  std::vector<AccountRow> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    rows.push_back(ReadAccount(stmt));
  }
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "list accounts");
  return rows;
}

Result<AccountRow> FindAccount(Database* db, const std::string& email) {
  Status s;
  sqlite3_stmt* stmt = db->Prepare(
      "SELECT " ACCOUNT_COLUMNS " FROM users u WHERE u.email_norm = lower(?)",
      &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Text(email);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return Status::NotFound("no account " + email);
  if (rc != SQLITE_ROW) return SqliteError(db->raw(), rc, "find account");
  AccountRow row = ReadAccount(stmt);
  sqlite3_reset(stmt);
  return row;
}

Result<std::vector<std::int64_t>> AccountJobIds(Database* db,
                                                std::int64_t account_id) {
  Status s;
  sqlite3_stmt* stmt =
      db->Prepare("SELECT id FROM outbox WHERE user_id = ? ORDER BY id", &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Int(account_id);
  std::vector<std::int64_t> ids;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ids.push_back(ColumnInt(stmt, 0));
  }
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "account jobs");
  return ids;
}

}  // namespace reg
