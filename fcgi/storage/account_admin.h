// What the operator tool (regctl) reads about accounts: look-ups by
// address, kept apart from the store the workers use.
#ifndef FCGI_STORAGE_ACCOUNT_ADMIN_H_
#define FCGI_STORAGE_ACCOUNT_ADMIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/db.h"

namespace reg {

struct AccountRow {
  std::int64_t id = 0;
  std::string email;
  std::int64_t created_ms = 0;
  std::int64_t verified_ms = 0;  // 0: not verified
  int mails = 0;                 // outbox jobs for this account
};

// Accounts whose address contains "part" (case-insensitive, "" for all),
// newest first, at most "limit".
Result<std::vector<AccountRow>> ListAccounts(Database* db,
                                             const std::string& part,
                                             int limit);

// The account registered under "email" (compared case-insensitively, as
// the service does). NotFound if none.
Result<AccountRow> FindAccount(Database* db, const std::string& email);

// The ids of the account's outbox jobs, oldest first.
Result<std::vector<std::int64_t>> AccountJobIds(Database* db,
                                                std::int64_t account_id);

}  // namespace reg

#endif  // FCGI_STORAGE_ACCOUNT_ADMIN_H_
