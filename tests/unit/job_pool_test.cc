#include "delivery/job_pool.h"

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

class JobPoolTest : public DeliveryFixture {
 protected:
  JobPoolTest() {
    // Heartbeat::interval() is then its floor, 100 ms: the renewals come
    // within the test, and the lease itself is the FakeClock's kLeaseMs.
    config_.lease_s = 0;
  }
  void SetUp() override {
    DeliveryFixture::SetUp();
    heartbeat_ = std::make_unique<Heartbeat>(config_, *storage_);
    pool_ =
        std::make_unique<JobPool>(config_, clock_, *storage_, signer_, sealer_,
                                  *heartbeat_, FakeSenders(&mail_, &hooks_));
  }
  void TearDown() override {
    DeliveryFixture::TearDown();  // no send stays held
    if (pool_) {
      EXPECT_TRUE(pool_->Stop(milliseconds(5000)));
    }
    if (heartbeat_) {
      EXPECT_TRUE(heartbeat_->Stop(milliseconds(5000)));
    }
  }

  std::unique_ptr<Heartbeat> heartbeat_;
  std::unique_ptr<JobPool> pool_;
};

TEST_F(JobPoolTest, SendsASubmittedJobAndRecordsItSent) {
  const std::int64_t id = QueueMail("ann@example.com");
  pool_->Start();
  ASSERT_TRUE(pool_->Submit(SendJob{id}));
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(mail_.seen(), std::vector<std::string>{"ann@example.com"});
}

// The work after the answers runs below the request threads (the
// process's priority, here the test's): the answers first.
TEST_F(JobPoolTest, SendsRunBelowTheRequestThreadsPriority) {
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  const std::int64_t id = QueueMail("ann@example.com");
  pool_->Start();
  ASSERT_TRUE(pool_->Submit(SendJob{id}));
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(mail_.nices(),
            std::vector<int>{std::min(own + kAfterAnswerNice, 19)});
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), own);
}

TEST_F(JobPoolTest, SendsAnEventThroughTheWebhook) {
  const std::int64_t id = QueueEvent("ann@example.com");
  pool_->Start();
  ASSERT_TRUE(pool_->Submit(SendJob{id}));
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(hooks_.sends(), 1);
  EXPECT_EQ(mail_.sends(), 0);
}

TEST_F(JobPoolTest, ASendJobForAJobClaimedElsewhereSendsNothing) {
  const std::int64_t first = QueueMail("first@example.com");
  const std::int64_t last = QueueMail("last@example.com");
  const std::int64_t taken = QueueMail("taken@example.com");
  MustClaim(taken);
  mail_.Script({Answer::kHold});
  pool_->Start();  // one thread
  ASSERT_TRUE(pool_->Submit(SendJob{first}));
  ASSERT_TRUE(WaitFor([&] { return mail_.held() == 1; }));
  // Sends wait newest first: "taken" runs before "last".
  ASSERT_TRUE(pool_->Submit(SendJob{last}));
  ASSERT_TRUE(pool_->Submit(SendJob{taken}));
  mail_.Release();
  ASSERT_TRUE(WaitFor([&] { return State(last) == "sent"; }));
  EXPECT_EQ(mail_.seen(), (std::vector<std::string>{"first@example.com",
                                                    "last@example.com"}));
  EXPECT_EQ(State(taken), "sending");
  EXPECT_EQ(Attempts(taken), 1);
}

TEST_F(JobPoolTest, SubmitRefusesATaskWhileMailQueueTasksWait) {
  config_.mail_threads = 1;
  config_.mail_queue = 1;
  const std::int64_t held = QueueMail("held@example.com");
  const std::int64_t waiting = QueueMail("waiting@example.com");
  const std::int64_t refused = QueueMail("refused@example.com");
  mail_.Script({Answer::kHold});
  pool_->Start();
  ASSERT_TRUE(pool_->Submit(SendJob{held}));
  ASSERT_TRUE(WaitFor([&] { return mail_.held() == 1; }));
  EXPECT_TRUE(pool_->Submit(SendJob{waiting}));  // the one waiting task
  EXPECT_FALSE(pool_->Submit(SendJob{refused}));
  EXPECT_FALSE(pool_->Submit(PostJob{refused}));
  mail_.Release();
  ASSERT_TRUE(WaitFor([&] { return State(waiting) == "sent"; }));
  EXPECT_EQ(State(held), "sent");
  // Refused, it holds no claim: the sweep finds it queued.
  EXPECT_EQ(State(refused), "queued");
  EXPECT_EQ(Attempts(refused), 0);
}

TEST_F(JobPoolTest, SubmitRefusesEveryTaskOnceStopping) {
  const std::int64_t id = QueueMail("ann@example.com");
  pool_->Start();
  ASSERT_TRUE(pool_->Stop(milliseconds(5000)));
  EXPECT_FALSE(pool_->Submit(SendJob{id}));
  EXPECT_FALSE(pool_->Submit(PostJob{id}));
  EXPECT_EQ(State(id), "queued");
  EXPECT_EQ(mail_.sends(), 0);
}

TEST_F(JobPoolTest, TheHeartbeatKeepsTheClaimOfAHeldSendPastItsLease) {
  const std::int64_t id = QueueMail("slow@example.com");
  mail_.Script({Answer::kHold});
  heartbeat_->Start();
  pool_->Start();
  ASSERT_TRUE(pool_->Submit(SendJob{id}));
  ASSERT_TRUE(WaitFor([&] { return mail_.held() == 1; }));
  // Three leases go by on the clock; each beat renews the claim from now.
  for (int i = 0; i < 3; i++) {
    clock_.AdvanceMs(kLeaseMs - kSecond);
    ASSERT_TRUE(
        WaitFor([&] { return LeaseUntilMs(id) == clock_.NowMs() + kLeaseMs; }));
    Result<ClaimOutcome> other = outbox_->Claim(id);  // another process
    ASSERT_OK(other);
    EXPECT_FALSE(other.value().job.has_value()) << "claim taken, beat " << i;
  }
  mail_.Release();
  ASSERT_TRUE(WaitFor([&] { return State(id) == "sent"; }));
  EXPECT_EQ(Attempts(id), 1);
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->held() == 0; }));
}

}  // namespace
}  // namespace reg
