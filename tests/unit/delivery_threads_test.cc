#include "delivery/delivery_threads.h"

#include <gtest/gtest.h>

#include <memory>

#include "delivery_fixture.h"

namespace reg {
namespace {

constexpr std::chrono::milliseconds kStopDeadline(10000);

// The delivery side put together as a worker does, on fake senders.
class DeliveryThreadsTest : public DeliveryFixture {
 protected:
  DeliveryThreadsTest() {
    config_.lease_s = 0;  // the heartbeat beats at its floor, 100 ms
  }
  void SetUp() override {
    DeliveryFixture::SetUp();
    delivery_ = std::make_unique<DeliveryThreads>(config_, clock_, *storage_,
                                                  signer_, sealer_,
                                                  FakeSenders(&mail_, &hooks_));
  }
  void TearDown() override {
    DeliveryFixture::TearDown();  // no send stays held
    // A generous deadline: a loaded host (or a sanitizer) can take more than
    // a worker's 400 ms to end a sweep, and threads left running would
    // outlive the fixture they use.
    EXPECT_TRUE(delivery_->Stop(kStopDeadline));
  }

  std::unique_ptr<DeliveryThreads> delivery_;
};

TEST_F(DeliveryThreadsTest, AJobHandedOverAfterItsAnswerIsSentByThePool) {
  const std::int64_t id = QueueMail("ann@example.com");
  delivery_->Start();
  delivery_->HandOver(SendJob{id});
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(mail_.seen(), std::vector<std::string>{"ann@example.com"});
}

TEST_F(DeliveryThreadsTest, AJobNobodyHandedOverIsSentByTheSweepAtStart) {
  const std::int64_t id = QueueMail("bob@example.com");
  clock_.AdvanceMs(kGraceMs);
  delivery_->Start();
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(Attempts(id), 1);
}

TEST_F(DeliveryThreadsTest, StopsCleanlyAndTwice) {
  delivery_->Start();
  EXPECT_TRUE(delivery_->Stop(kStopDeadline));
}

}  // namespace
}  // namespace reg
