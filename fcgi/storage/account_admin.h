// What the operator tool (regctl) reads about accounts.
#ifndef FCGI_STORAGE_ACCOUNT_ADMIN_H_
#define FCGI_STORAGE_ACCOUNT_ADMIN_H_

#include <cstdint>
#include <string>

namespace reg {

struct AccountRow {
  std::int64_t id = 0;
  std::string email;
  std::int64_t created_ms = 0;
  std::int64_t verified_ms = 0;  // 0: not verified
  int mails = 0;                 // outbox jobs for this account
  // The password the account signs in with: its registration's until a
  // link verifies it, then the registration's that link was mailed for.
  // Never shown (regctl prints the fields above).
  std::string password_hash;
};

// Store::ListAccounts, FindAccount and AccountJobIds read these.

}  // namespace reg

#endif  // FCGI_STORAGE_ACCOUNT_ADMIN_H_
