#include "delivery/heartbeat.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "delivery_fixture.h"

namespace reg {
namespace {

using std::chrono::milliseconds;

class HeartbeatTest : public DeliveryFixture {
 protected:
  HeartbeatTest() {
    config_.lease_s = 0;  // interval() is then its floor, 100 ms
  }
  void SetUp() override {
    DeliveryFixture::SetUp();
    heartbeat_ = std::make_unique<Heartbeat>(config_, *storage_);
  }
  void TearDown() override {
    DeliveryFixture::TearDown();
    if (heartbeat_) {
      EXPECT_TRUE(heartbeat_->Stop(milliseconds(5000)));
    }
  }

  std::unique_ptr<Heartbeat> heartbeat_;
};

TEST_F(HeartbeatTest, BeatsAtItsFloorOf100MsForAShortLease) {
  EXPECT_EQ(heartbeat_->interval(), milliseconds(100));
  config_.lease_s = 120;
  EXPECT_EQ(Heartbeat(config_, *storage_).interval(), milliseconds(40'000));
}

TEST_F(HeartbeatTest, RenewsEveryHeldClaimFromNowOnEachBeat) {
  const ClaimedJob a = MustClaim(QueueMail("a@example.com"));
  const ClaimedJob b = MustClaim(QueueMail("b@example.com"));
  heartbeat_->Hold(a.ref());
  heartbeat_->Hold(b.ref());
  heartbeat_->Start();
  clock_.AdvanceMs(kLeaseMs - kSecond);
  const std::int64_t renewed = clock_.NowMs() + kLeaseMs;
  ASSERT_TRUE(WaitFor([&] {
    return LeaseUntilMs(a.id) == renewed && LeaseUntilMs(b.id) == renewed;
  }));
  clock_.AdvanceMs(kLeaseMs - kSecond);  // past the first lease
  Result<ClaimOutcome> other = outbox_->Claim(a.id);
  ASSERT_OK(other);
  EXPECT_FALSE(other.value().job.has_value());
  EXPECT_EQ(heartbeat_->held(), 2u);
}

TEST_F(HeartbeatTest, DropsAClaimAnotherProcessTookAndLeavesItsNewLease) {
  const std::int64_t id = QueueMail("ann@example.com");
  const ClaimedJob lost = MustClaim(id);
  clock_.AdvanceMs(kLeaseMs + 1);
  MustClaim(id);  // the lease ran out: another process's claim
  const std::int64_t new_lease = LeaseUntilMs(id);
  heartbeat_->Hold(lost.ref());
  heartbeat_->Start();
  clock_.AdvanceMs(kSecond);
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->held() == 0; }));
  EXPECT_EQ(LeaseUntilMs(id), new_lease);
  EXPECT_EQ(Attempts(id), 2);
}

TEST_F(HeartbeatTest, HoldsAClaimUntilEachOfItsHoldersReleasesIt) {
  const ClaimedJob job = MustClaim(QueueMail("ann@example.com"));
  heartbeat_->Hold(job.ref());
  heartbeat_->Hold(job.ref());
  heartbeat_->Release(job.ref());
  EXPECT_EQ(heartbeat_->held(), 1u);
  heartbeat_->Release(job.ref());
  EXPECT_EQ(heartbeat_->held(), 0u);
  heartbeat_->Release(job.ref());  // once more: harmless
  EXPECT_EQ(heartbeat_->held(), 0u);
}

}  // namespace
}  // namespace reg
