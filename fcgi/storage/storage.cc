#include "storage/storage.h"

#include <unistd.h>

#include <algorithm>

#include "storage/postgres/conninfo.h"
#include "storage/postgres/engine.h"
#include "storage/sqlite/engine.h"

namespace reg {
namespace {

constexpr const char* kStateNames[] = {"queued", "sending", "sent", "failed"};

}  // namespace

const double kDeliveryBuckets[] = {0.05, 0.1, 0.25, 0.5, 1,    2.5, 5,
                                   10,   30,  60,   300, 1800, 3600};
const int kDeliveryBucketCount =
    sizeof(kDeliveryBuckets) / sizeof(kDeliveryBuckets[0]);

const char* JobStateName(JobState state) {
  return kStateNames[static_cast<int>(state)];
}

const char* ChannelName(Channel channel) {
  return channel == Channel::kWebhook ? "webhook" : "mail";
}

Result<JobState> JobStateFromName(std::string_view name) {
  for (int i = 0; i < 4; i++) {
    if (name == kStateNames[i]) return static_cast<JobState>(i);
  }
  return Status::NotFound("no job state \"" + std::string(name) + "\"");
}

std::int64_t RetryDelayMs(const OutboxPolicy& policy, int attempts) {
  std::int64_t delay = policy.retry_ms;
  for (int i = 1; i < attempts && delay < policy.max_retry_ms; i++) delay *= 2;
  return std::min(delay, policy.max_retry_ms);
}

OutboxPolicy OutboxPolicyFor(const Config& config) {
  OutboxPolicy p;
  p.lease_ms = config.lease_s * 1000LL;
  p.retry_ms = config.retry_s * 1000LL;
  p.retry_for_ms = config.retry_for_s * 1000LL;
  p.suppress_ms = config.suppress_s * 1000LL;
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  p.claimant = std::to_string(getpid()) + "@" + host;
  return p;
}

Status CheckStorageSettings(const Config& config) {
  if (config.database_url.empty()) return Status::Ok();
  return CheckDatabaseUrl(config.database_url);
}

Result<std::unique_ptr<Storage>> OpenStorage(const Config& config,
                                             const Clock& clock, bool create) {
  if (Status s = CheckStorageSettings(config); !s.ok()) return s;
  if (!config.database_url.empty()) {
    // Times come from the database: every host reads the same clock.
    Result<std::unique_ptr<PgStorage>> pg =
        PgStorage::Open(config.database_url, nullptr, OutboxPolicyFor(config));
    if (!pg.ok()) return pg.status();
    return std::unique_ptr<Storage>(std::move(pg).value());
  }
  Result<std::unique_ptr<SqliteStorage>> sqlite =
      SqliteStorage::Open(DatabasePath(config), create, config.sqlite_sync_full,
                          &clock, OutboxPolicyFor(config));
  if (!sqlite.ok()) return sqlite.status();
  return std::unique_ptr<Storage>(std::move(sqlite).value());
}

Result<std::unique_ptr<Storage>> OpenWorkerStorage(
    const Config& config, const Clock& clock, const std::string& fingerprint) {
  Result<std::unique_ptr<Storage>> opened = OpenStorage(config, clock);
  if (!opened.ok()) return opened;
  Status s = opened.value()->CheckJobSecret(fingerprint);
  if (s.ok()) return opened;
  if (s.code() != Code::kInvalidArgument) return s;
  return Status::InvalidArgument("JOB_SECRET_FILE=" + SecretPath(config) +
                                 ": " + s.message());
}

}  // namespace reg
