// The delivery tests' fixture: the SQLite engine on a temp file (with a
// FakeClock), a Sealer and a JobSigner, fake senders (fake_senders.h), a
// Config small enough for milliseconds, and ways to queue jobs and read
// their rows.
#ifndef TESTS_UNIT_DELIVERY_FIXTURE_H_
#define TESTS_UNIT_DELIVERY_FIXTURE_H_

#include <cstdint>
#include <string>

#include "base/config.h"
#include "crypto/job_signer.h"
#include "crypto/seal.h"
#include "fake_senders.h"
#include "sqlite_fixture.h"

namespace reg {

class DeliveryFixture : public SqliteFixture {
 protected:
  // A lease of 10 s on the FakeClock; retries after 30 s, doubling.
  static constexpr std::int64_t kLeaseMs = 10 * kSecond;
  static constexpr std::int64_t kRetryMs = 30 * kSecond;
  static constexpr std::int64_t kGraceMs = 3 * kSecond;

  DeliveryFixture();
  // Releases the fake servers, so no thread stays held.
  void TearDown() override;

  // Queues a mail to "email" (a new registration), due kGraceMs from now;
  // returns its job id, 0 on error (and a test failure).
  std::int64_t QueueMail(const std::string& email);
  // Registers "email" and verifies it, which queues the account.verified
  // event; returns that job's id, 0 on error.
  std::int64_t QueueEvent(const std::string& email);
  // Claims job "id" as another thread or process would; must succeed.
  ClaimedJob MustClaim(std::int64_t id);

  // The job's row.
  std::string State(std::int64_t id);
  std::string LastReply(std::int64_t id);
  std::int64_t Attempts(std::int64_t id);
  std::int64_t NextAttemptMs(std::int64_t id);
  std::int64_t LeaseUntilMs(std::int64_t id);
  // The reason of the job's last retry event ("" if none).
  std::string LastRetryReason(std::int64_t id);

  Config config_;
  Sealer sealer_;
  JobSigner signer_;
  FakeServer mail_;   // the SMTP server
  FakeServer hooks_;  // the webhook receiver
  int queued_ = 0;
};

}  // namespace reg

#endif  // TESTS_UNIT_DELIVERY_FIXTURE_H_
