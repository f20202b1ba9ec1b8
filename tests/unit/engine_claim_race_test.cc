// The outbox's claims raced by two processes (or hosts) on one database,
// on both engines (engine_fixture.h): the fixture's Storage and an
// OtherProcess, each with its own claimant, each driven by its own thread.
// The clock stands still unless a test moves it, so no lease runs out by
// accident.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "engine_fixture.h"

namespace reg {
namespace {

using EngineClaimRaceTest = EngineTest;

// Who holds each job by the racers' own account: a racer records a job
// when a claim of it comes back, and forgets it just before it lets the
// job go, so a job recorded here is one whose claim nobody gave back.
class Holders {
 public:
  // Records "racer" as the holder of "id"; false when another racer was
  // recorded already (both hold the job).
  bool Take(std::int64_t id, int racer) {
    std::lock_guard<std::mutex> lock(mu_);
    int& holder = holder_[id];
    const bool free = holder == 0;
    holder = racer;
    return free;
  }
  void Forget(std::int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    holder_[id] = 0;
  }

 private:
  std::mutex mu_;
  std::map<std::int64_t, int> holder_;
};

// Two processes claim the same due jobs, by sweep (ClaimDue) and by post
// (Claim), and give each claim back (ReleaseLostClaims) so that the other
// can take the job at once: a few hundred claims, and never a job held by
// both.
TEST_P(EngineClaimRaceTest, TwoProcessesRacingForDueJobsNeverBothHoldOne) {
  constexpr int kJobs = 6;
  constexpr int kClaims = 200;  // in all, both processes together
  std::vector<std::int64_t> ids;
  for (int i = 0; i < kJobs; i++) {
    ids.push_back(Queue("race" + std::to_string(i) + "@example.com"));
    ASSERT_GT(ids.back(), 0);
  }
  clock_.AdvanceMs(limits_.sweep_grace_ms);  // all due

  // This process and another one, each with its own claimant.
  Outbox* outboxes[2] = {outbox_.get(), OtherOutbox("2@race-b")};
  ASSERT_NE(outboxes[1], nullptr);

  Holders holders;
  std::atomic<int> claims{0};
  std::atomic<int> both_held{0};
  std::atomic<int> miscounted{0};  // a release that gave back another count
  std::atomic<int> errors{0};
  int claims_by[2] = {0, 0};
  std::vector<std::thread> racers;
  for (int r = 0; r < 2; r++) {
    racers.emplace_back([&, r] {
      Outbox& outbox = *outboxes[r];
      // Bounded even when claims keep failing.
      for (int round = 0; claims.load() < kClaims && round < 10 * kClaims;
           round++) {
        std::vector<ClaimedJob> mine;
        if (round % 2 == 0) {
          Result<std::vector<ClaimedJob>> due = outbox.ClaimDue(2);
          if (!due.ok()) {
            errors++;
            continue;
          }
          mine = due.value();
        } else {
          Result<ClaimOutcome> c = outbox.Claim(ids[(round / 2 + r) % kJobs]);
          if (!c.ok()) {
            errors++;
            continue;
          }
          if (c.value().job) mine.push_back(*c.value().job);
        }
        for (const ClaimedJob& job : mine) {
          if (!holders.Take(job.id, r + 1)) both_held++;
        }
        claims += static_cast<int>(mine.size());
        claims_by[r] += static_cast<int>(mine.size());
        // Still held, a moment later (the heartbeat's check): a lease
        // cannot run out, so a claim lost here was taken while held.
        std::vector<ClaimRef> refs;
        for (const ClaimedJob& job : mine) refs.push_back(job.ref());
        Result<std::vector<ClaimRef>> lost = outbox.Renew(refs);
        if (!lost.ok()) {
          errors++;
        } else {
          both_held += static_cast<int>(lost.value().size());
        }
        for (const ClaimedJob& job : mine) holders.Forget(job.id);
        // Gives back every claim of this process: exactly these.
        Result<int> released = outbox.ReleaseLostClaims({});
        if (!released.ok()) {
          errors++;
        } else if (released.value() != static_cast<int>(mine.size())) {
          miscounted++;
        }
      }
    });
  }
  for (std::thread& t : racers) t.join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(both_held.load(), 0);
  EXPECT_EQ(miscounted.load(), 0);
  // Both took part, and a job let go was claimed again at once (the clock
  // never moved): many more claims than jobs.
  EXPECT_GT(claims_by[0], 0);
  EXPECT_GT(claims_by[1], 0);
  EXPECT_GE(claims.load(), kClaims);
  // Every claim the racers saw counted one attempt, and every job is back
  // in the queue.
  int attempts = 0;
  for (const JobRow& row : Jobs()) {
    EXPECT_EQ(row.state, "queued") << "job " << row.id;
    attempts += row.attempts;
  }
  EXPECT_EQ(attempts, claims.load());
}

// Process A claims every job, then its lease runs out; B takes the jobs
// over while A, not knowing, reports its outcomes and gives its claims
// back. Whatever the order, a job B took stays B's: A's late outcome or
// release changes nothing of it.
TEST_P(EngineClaimRaceTest, ALapsedClaimTakenOverIsFencedOffFromItsOldHolder) {
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; i++) {
    ASSERT_GT(Queue("lapse" + std::to_string(i) + "@example.com"), 0);
  }
  clock_.AdvanceMs(limits_.sweep_grace_ms);
  // A is this process (outbox_); B another one.
  const std::string b_claimant = "2@host-b";
  Outbox* b = OtherOutbox(b_claimant);
  ASSERT_NE(b, nullptr);
  Outbox& a = *outbox_;
  Result<std::vector<ClaimedJob>> old = a.ClaimDue(kJobs);
  ASSERT_OK(old);
  ASSERT_EQ(old.value().size(), static_cast<size_t>(kJobs));
  clock_.AdvanceMs(policy_.lease_ms);  // A's claims have all run out

  // A: each job's outcome in turn, sent, retry or failed, and every fifth
  // time it gives back all its claims; B: sweeps until nothing is due.
  const auto report = [&](Outbox& outbox) {
    int errors = 0;
    for (size_t i = 0; i < old.value().size(); i++) {
      const ClaimedJob& job = old.value()[i];
      const Status s =
          i % 3 == 0   ? outbox.MarkSent(job, "250 late")
          : i % 3 == 1 ? outbox.MarkRetry(job, "451 late", RetryReason::k4xx)
                       : outbox.MarkFailed(job, "550 late");
      if (!s.ok()) errors++;
      if (i % 5 == 4 && !outbox.ReleaseLostClaims({}).ok()) errors++;
    }
    return errors;
  };
  std::atomic<int> a_errors{0};
  std::thread a_thread([&] { a_errors = report(a); });
  std::vector<ClaimedJob> taken;
  int b_errors = 0;
  // At most kJobs sweeps: each that finds something takes a job or more.
  for (int sweep = 0; sweep < kJobs; sweep++) {
    Result<std::vector<ClaimedJob>> due = b->ClaimDue(3);
    if (!due.ok()) {
      b_errors++;
      break;
    }
    if (due.value().empty()) break;
    taken.insert(taken.end(), due.value().begin(), due.value().end());
  }
  a_thread.join();
  EXPECT_EQ(a_errors.load(), 0);
  EXPECT_EQ(b_errors, 0);

  // After the race, A reports everything again: all of it now too late.
  EXPECT_EQ(report(a), 0);
  Result<int> released = a.ReleaseLostClaims({});
  ASSERT_OK(released);
  EXPECT_EQ(released.value(), 0);

  std::set<std::int64_t> b_holds;
  std::vector<ClaimRef> b_claims;
  for (const ClaimedJob& job : taken) {
    EXPECT_TRUE(b_holds.insert(job.id).second) << "job " << job.id << " twice";
    b_claims.push_back(job.ref());
    JobRow row = Row(job.id);
    EXPECT_EQ(row.state, "sending") << "job " << job.id;
    EXPECT_EQ(row.claimed_by, b_claimant) << "job " << job.id;
    EXPECT_EQ(row.attempts, job.attempts) << "job " << job.id;
    EXPECT_EQ(row.last_reply, "") << "job " << job.id;
  }
  // B still holds every claim it took.
  Result<std::vector<ClaimRef>> lost = b->Renew(b_claims);
  ASSERT_OK(lost);
  EXPECT_TRUE(lost.value().empty());
  // A job B did not take was finished or given back by A: none is left
  // held by nobody.
  for (const JobRow& row : Jobs()) {
    if (b_holds.count(row.id) == 0) {
      EXPECT_NE(row.state, "sending") << "job " << row.id;
    }
  }
}

INSTANTIATE_ENGINES(EngineClaimRaceTest);

}  // namespace
}  // namespace reg
