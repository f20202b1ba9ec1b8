#include "delivery_fixture.h"

#include "crypto/token.h"

namespace reg {
namespace {

Sealer TestSealer() {
  Result<Sealer> sealer = Sealer::Create("delivery test secret");
  if (!sealer.ok()) std::abort();
  return std::move(sealer).value();
}

JobSigner TestSigner() {
  Result<JobSigner> signer = JobSigner::Create("delivery test key");
  if (!signer.ok()) std::abort();
  return std::move(signer).value();
}

}  // namespace

DeliveryFixture::DeliveryFixture()
    : sealer_(TestSealer()), signer_(TestSigner()) {
  policy_.lease_ms = kLeaseMs;
  policy_.retry_ms = kRetryMs;
  policy_.max_retry_ms = kHour;
  policy_.retry_for_ms = 2 * kHour;
  policy_.claimant = "1@delivery-test";
  config_.lease_s = static_cast<int>(kLeaseMs / kSecond);
  config_.mail_threads = 1;
  config_.mail_queue = 8;
  // Nothing listens there: a PostJob fails at once (no test posts one).
  config_.internal_url = "http://127.0.0.1:1/internal/mail";
}

void DeliveryFixture::TearDown() {
  mail_.Release();
  hooks_.Release();
}

std::int64_t DeliveryFixture::QueueMail(const std::string& email) {
  const int n = ++queued_;
  RegisterLimits limits;
  limits.mail_cap = 0;
  limits.sweep_grace_ms = kGraceMs;
  Result<std::string> sealed = sealer_.Seal("Subject: " + email + "\r\n");
  EXPECT_OK(sealed);
  if (!sealed.ok()) return 0;
  const PreparedJob mail{"<" + std::to_string(n) + "@test>", sealed.value()};
  Result<RegisterOutcome> out = store_->Register(
      Registration(email, "hash", "token-" + std::to_string(n)), limits,
      RegistrationMails{mail, mail, mail});
  EXPECT_OK(out);
  return out.ok() ? out.value().job_id : 0;
}

std::int64_t DeliveryFixture::QueueEvent(const std::string& email) {
  if (QueueMail(email) == 0) return 0;
  const std::string token_hash = TokenHash("token-" + std::to_string(queued_));
  Result<TokenInfo> info = store_->LookUpToken(token_hash);
  EXPECT_OK(info);
  if (!info.ok()) return 0;
  Result<std::string> sealed =
      sealer_.Seal("{\"email\":\"" + info.value().email + "\"}");
  EXPECT_OK(sealed);
  if (!sealed.ok()) return 0;
  PreparedEvent event;
  event.account_id = info.value().account_id;
  event.job = {"event-" + std::to_string(info.value().account_id),
               std::move(sealed).value()};
  event.sweep_grace_ms = kGraceMs;
  Result<ActivateOutcome> out = store_->Activate(token_hash, event);
  EXPECT_OK(out);
  return out.ok() ? out.value().event_job_id : 0;
}

ClaimedJob DeliveryFixture::MustClaim(std::int64_t id) {
  Result<ClaimOutcome> c = outbox_->Claim(id);
  EXPECT_OK(c);
  if (!c.ok()) return ClaimedJob();
  EXPECT_TRUE(c.value().job.has_value()) << "job " << id << " not claimed";
  return c.value().job.value_or(ClaimedJob());
}

std::string DeliveryFixture::State(std::int64_t id) {
  return QueryText(db_.get(), "SELECT state FROM outbox WHERE id = ?",
                   {std::to_string(id)});
}

std::string DeliveryFixture::LastReply(std::int64_t id) {
  return QueryText(db_.get(),
                   "SELECT coalesce(last_reply, '') FROM outbox WHERE id = ?",
                   {std::to_string(id)});
}

std::int64_t DeliveryFixture::Attempts(std::int64_t id) {
  return QueryInt(db_.get(), "SELECT attempts FROM outbox WHERE id = ?",
                  {std::to_string(id)});
}

std::int64_t DeliveryFixture::NextAttemptMs(std::int64_t id) {
  return QueryInt(db_.get(), "SELECT next_attempt_ms FROM outbox WHERE id = ?",
                  {std::to_string(id)});
}

std::int64_t DeliveryFixture::LeaseUntilMs(std::int64_t id) {
  return QueryInt(db_.get(),
                  "SELECT coalesce(lease_until_ms, 0) FROM outbox WHERE id = ?",
                  {std::to_string(id)});
}

std::string DeliveryFixture::LastRetryReason(std::int64_t id) {
  return QueryText(db_.get(),
                   "SELECT coalesce((SELECT reason FROM outbox_events "
                   "WHERE job_id = ? AND event = 'retry' "
                   "ORDER BY rowid DESC LIMIT 1), '')",
                   {std::to_string(id)});
}

}  // namespace reg
