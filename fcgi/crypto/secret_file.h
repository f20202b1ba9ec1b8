// The secret files (DATA_DIR/job.secret, DATA_DIR/webhook.secret): 64
// lowercase hex characters from a CSPRNG, mode 0600, owned by the user the
// workers run as. Made on first start, read at every start. Thread-safe.
#ifndef FCGI_CRYPTO_SECRET_FILE_H_
#define FCGI_CRYPTO_SECRET_FILE_H_

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace reg {

// Reads the job secret at "path" and returns its 64 hex characters. Returns
// Internal if the file is missing or unreadable, is not a regular file, is
// owned by another user than "owner" (by default the user this process
// runs as), has any group or other permission bit ("chmod 600" fixes it),
// or does not hold exactly 64 lowercase hex characters, optionally followed
// by one "\n". Error messages name the path, never the content.
Result<std::string> LoadSecret(const std::string& path);
Result<std::string> LoadSecret(const std::string& path, uid_t owner);

// The user whose secrets a process running as "euid" trusts for the data
// in "data_dir" (DATA_DIR): itself, as the workers do; root (uid 0), which
// regctl lets act on any service's data, trusts the owner of "data_dir",
// the user the workers run as (itself for a folder root owns). NotFound,
// naming the folder, when root cannot stat it.
Result<uid_t> SecretOwner(uid_t euid, const std::string& data_dir);

// If "path" does not exist, creates it (mode 0600) holding 64 hex
// characters of fresh randomness, no newline: written and fsynced under a
// temporary name, then linked into place, so processes starting together
// agree on one secret and never read a half-written file. Then returns
// LoadSecret(path), so an existing file is checked the same way. Returns
// Internal on any failure; no temporary file is left behind.
Result<std::string> CreateSecretIfMissing(const std::string& path);

}  // namespace reg

#endif  // FCGI_CRYPTO_SECRET_FILE_H_
