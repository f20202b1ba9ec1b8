// Storage: the engine behind Store and Outbox, one per process: SQLite
// (storage/sqlite/) for one host, PostgreSQL (storage/postgres/) for many.
#ifndef FCGI_STORAGE_STORAGE_H_
#define FCGI_STORAGE_STORAGE_H_

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/config.h"
#include "base/status.h"
#include "storage/outbox.h"
#include "storage/store.h"

namespace reg {

// Thread-safe. Each thread takes its own Store and Outbox; they share the
// process's one write lane (group commit), and read on their own.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual Result<std::unique_ptr<Store>> NewStore() = 0;
  virtual Result<std::unique_ptr<Outbox>> NewOutbox() = 0;

  // Hosts sharing a database must hold one job secret (it seals the mail
  // any host's sweep opens). Records "fingerprint" (JobSecretFingerprint)
  // when the database has none yet; kInvalidArgument when it holds another
  // one; kUnavailable when the database cannot say. SQLite: one host, one
  // secret file beside its database, nothing to check: OK.
  virtual Status CheckJobSecret(const std::string& fingerprint) {
    (void)fingerprint;
    return Status::Ok();
  }
};

// The outbox's lease and retry schedule from the settings; the claimant is
// this process ("pid@host").
OutboxPolicy OutboxPolicyFor(const Config& config);

// The storage settings that refuse a start before anything is opened:
// with DATABASE_URL naming a host other than a loopback address or a unix
// socket, no verified TLS (sslmode=verify-full or verify-ca; CONTRACT
// section 7). kInvalidArgument says why.
Status CheckStorageSettings(const Config& config);

// Opens the engine the settings name (PostgreSQL at DATABASE_URL, else
// SQLite at DATA_DIR/registrar.db), applying pending migrations. Without
// "create", a missing database is NotFound (regctl never creates one).
// Fails as CheckStorageSettings does first.
Result<std::unique_ptr<Storage>> OpenStorage(const Config& config,
                                             const Clock& clock,
                                             bool create = true);

// A worker's storage: OpenStorage, then CheckJobSecret with the job
// secret's "fingerprint". Hosts on one database hold one job secret: a
// host that made its own (a missing JOB_SECRET_FILE) would fail the
// others' sealed mail, so a refusal is kInvalidArgument naming the file
// ("JOB_SECRET_FILE=<path>: the job secret is not the one ...").
Result<std::unique_ptr<Storage>> OpenWorkerStorage(
    const Config& config, const Clock& clock, const std::string& fingerprint);

}  // namespace reg

#endif  // FCGI_STORAGE_STORAGE_H_
