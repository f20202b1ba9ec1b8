#include "delivery/sweeper.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "base/thread_priority.h"
#include "delivery/heartbeat.h"
#include "delivery_fixture.h"

namespace reg {
namespace {

using std::chrono::milliseconds;

TEST(SweepBatch, ClaimsWhatHalfALeaseCoversBetweenOneAndSixteen) {
  EXPECT_EQ(SweepBatch(120'000, 5), 16);      // a fast server: the cap
  EXPECT_EQ(SweepBatch(120'000, 6'000), 10);  // 60 s / 6 s
  EXPECT_EQ(SweepBatch(120'000, 30'000), 2);
  EXPECT_EQ(SweepBatch(120'000, 600'000), 1);  // slower than a lease: one
  EXPECT_EQ(SweepBatch(3'000, 0), 16);
}

// Each Sweeper sweeps once at Start (SWEEP_S, 30 s, is never reached), so
// "a later sweep" is a new Sweeper. Its first batch is SweepBatch(10 s,
// 10 s / 4) = 2 jobs. The heartbeat is not started: nothing renews.
class SweeperTest : public DeliveryFixture {
 protected:
  void SetUp() override {
    DeliveryFixture::SetUp();
    heartbeat_ = std::make_unique<Heartbeat>(config_, *storage_);
  }
  void TearDown() override {
    DeliveryFixture::TearDown();  // no send stays held
    if (sweeper_) {
      EXPECT_TRUE(sweeper_->Stop(milliseconds(5000)));
    }
  }
  void StartSweep() {
    if (sweeper_) {
      ASSERT_TRUE(sweeper_->Stop(milliseconds(5000)));
    }
    sweeper_ =
        std::make_unique<Sweeper>(config_, clock_, *storage_, sealer_,
                                  *heartbeat_, FakeSenders(&mail_, &hooks_));
    sweeper_->Start();
  }

  std::unique_ptr<Heartbeat> heartbeat_;
  std::unique_ptr<Sweeper> sweeper_;
};

TEST_F(SweeperTest, SendsAJobWhosePostNeverCameOnceItsGraceIsOver) {
  const std::int64_t id = QueueMail("ann@example.com");
  const std::int64_t event = QueueEvent("bob@example.com");
  clock_.AdvanceMs(kGraceMs);
  StartSweep();
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  ASSERT_TRUE(WaitFor([&] { return State(event) == "sent"; }));
  EXPECT_EQ(hooks_.sends(), 1);
}

// Sweeps run below the request threads, as the job pool does.
TEST_F(SweeperTest, SweepsRunBelowTheRequestThreadsPriority) {
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  const std::int64_t id = QueueMail("ann@example.com");
  clock_.AdvanceMs(kGraceMs);
  StartSweep();
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(mail_.nices(),
            std::vector<int>{std::min(own + kAfterAnswerNice, 19)});
}

TEST_F(SweeperTest, ClaimsAgainAJobWhoseClaimRanOut) {
  const std::int64_t id = QueueMail("ann@example.com");
  MustClaim(id);  // by a process that died before its send
  clock_.AdvanceMs(kLeaseMs + 1);
  StartSweep();
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(Attempts(id), 2);
}

TEST_F(SweeperTest, LeavesAJobUnderALiveClaimAlone) {
  const std::int64_t live = QueueMail("live@example.com");
  const std::int64_t due = QueueMail("due@example.com");
  clock_.AdvanceMs(kGraceMs);
  MustClaim(live);  // another process is sending it
  StartSweep();
  ASSERT_TRUE(WaitFor([&] { return State(due) == "sent"; }));
  ASSERT_TRUE(sweeper_->Stop(milliseconds(5000)));
  EXPECT_EQ(mail_.seen(), std::vector<std::string>{"due@example.com"});
  EXPECT_EQ(State(live), "sending");
  EXPECT_EQ(Attempts(live), 1);
}

TEST_F(SweeperTest, RetriesA4xxInALaterSweepOnceItsDelayIsOver) {
  const std::int64_t id = QueueMail("ann@example.com");
  clock_.AdvanceMs(kGraceMs);
  mail_.Script({Answer::k4xx});
  StartSweep();
  ASSERT_TRUE(
      WaitFor([&] { return State(id) == "queued" && Attempts(id) == 1; }));
  EXPECT_EQ(LastRetryReason(id), "4xx");
  ASSERT_TRUE(sweeper_->Stop(milliseconds(5000)));
  clock_.AdvanceMs(kRetryMs);
  StartSweep();
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(Attempts(id), 2);
  EXPECT_EQ(mail_.sends(), 2);
}

TEST_F(SweeperTest, SkipsAJobOfItsBatchWhoseClaimWasLostBeforeItsSend) {
  const std::int64_t first = QueueMail("first@example.com");
  const std::int64_t second = QueueMail("second@example.com");
  clock_.AdvanceMs(kGraceMs);
  mail_.Script({Answer::kHold});
  StartSweep();  // one loop claims both (a batch of 2), sends "first"
  ASSERT_TRUE(WaitFor([&] { return mail_.held() == 1; }));
  EXPECT_EQ(heartbeat_->held(), 2u);
  // Half a lease goes by in the send: "second" has its claim checked
  // before its own send. Meanwhile another claim took it, as another
  // process's would after the lease ran out (the clock stays within the
  // lease here, or this process's other sweep loop could take the batch).
  clock_.AdvanceMs(kLeaseMs / 2);
  EXPECT_EQ(QueryInt(db_.get(),
                     "UPDATE outbox SET attempts = attempts + 1 "
                     "WHERE id = ? RETURNING attempts",
                     {std::to_string(second)}),
            2);
  mail_.Release();
  // Both claims are released once the batch is done.
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->held() == 0; }));
  EXPECT_EQ(State(first), "sent");
  EXPECT_EQ(mail_.seen(), std::vector<std::string>{"first@example.com"});
  EXPECT_EQ(State(second), "sending");
  EXPECT_EQ(Attempts(second), 2);
}

}  // namespace
}  // namespace reg
