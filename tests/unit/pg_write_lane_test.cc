// PgWriteLane (storage/postgres/write_lane.h) against a real PostgreSQL 15
// (tests/pg_server.h): pieces queued while a batch runs share the next
// transaction; a failing piece rolls back alone; no piece is answered
// before its batch has committed; a piece whose mailbox another session
// has locked waits alone, not the batch.
#include "storage/postgres/write_lane.h"

#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "pg_server.h"
#include "testutil.h"

namespace reg {
namespace {

class PgWriteLaneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = &PgServer::Shared();
    if (server_->ok()) url_ = server_->CreateDatabase("pg_write_lane_test");
  }
  void SetUp() override {
    ASSERT_TRUE(server_->ok())
        << "PostgreSQL did not start; see " << server_->log();
    ASSERT_FALSE(url_.empty()) << "createdb failed";
    admin_ = Connect();
    ASSERT_NE(admin_, nullptr);
    ASSERT_OK(admin_->Exec(
        "DROP TABLE IF EXISTS lane_rows; "
        "CREATE TABLE lane_rows (name text PRIMARY KEY, tx bigint); "
        "CREATE OR REPLACE FUNCTION reg_now_ms() RETURNS bigint "
        "LANGUAGE sql STABLE AS "
        "$$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$"));
    // One connection: a held batch holds the lane, and what is queued
    // meanwhile makes the next batch.
    Result<std::unique_ptr<PgWriteLane>> lane =
        PgWriteLane::Open(url_, nullptr, /*connections=*/1);
    ASSERT_OK(lane);
    lane_ = std::move(lane).value();
  }
  std::unique_ptr<PgConnection> Connect() {
    Result<std::unique_ptr<PgConnection>> conn = PgConnection::Open(url_);
    EXPECT_OK(conn);
    return conn.ok() ? std::move(conn).value() : nullptr;
  }

  // A piece writing row "name" with its transaction's id; fails after the
  // write when "fail".
  static PgWriteLane::Work Insert(const std::string& name, bool fail = false) {
    return [name, fail](PgTxn& txn) -> Status {
      Status s = txn.conn()
                     .Query("INSERT INTO lane_rows VALUES ($1, txid_current())",
                            {name})
                     .status();
      if (!s.ok()) return s;
      return fail ? Status::Internal("changed my mind") : Status();
    };
  }

  // Holds the lane with a batch of one piece until the returned promise is
  // set; "started" once that piece runs.
  std::thread HoldLane(std::promise<void>* started,
                       std::shared_future<void> release,
                       Durability durability = Durability::kDurable) {
    return std::thread([this, started, release, durability] {
      EXPECT_OK(lane_->Run(durability, [&](PgTxn&) -> Status {
        started->set_value();
        release.wait();
        return Status();
      }));
    });
  }

  // The service's lane instead: two connections.
  void UseTwoConnections() {
    Result<std::unique_ptr<PgWriteLane>> two =
        PgWriteLane::Open(url_, nullptr, /*connections=*/2);
    ASSERT_OK(two);
    lane_ = std::move(two).value();
  }

  // The rows another session sees: committed ones only.
  std::map<std::string, std::int64_t> Committed() {
    std::map<std::string, std::int64_t> rows;
    Result<PgRows> found = admin_->Query("SELECT name, tx FROM lane_rows");
    EXPECT_OK(found);
    if (!found.ok()) return rows;
    for (int i = 0; i < found.value().size(); i++) {
      rows[found.value().Text(i, 0)] = found.value().Int(i, 1);
    }
    return rows;
  }

  static PgServer* server_;
  static std::string url_;
  std::unique_ptr<PgConnection> admin_;
  std::unique_ptr<PgWriteLane> lane_;
};
PgServer* PgWriteLaneTest::server_ = nullptr;
std::string PgWriteLaneTest::url_;

// Six pieces queued while a batch runs go into one transaction; the one
// that fails leaves no row, the five others commit. Each Run returns only
// once its whole batch is visible to another session.
TEST_F(PgWriteLaneTest, AFailingPieceRollsBackAloneAndAnswersComeAfterCommit) {
  std::promise<void> started;
  std::promise<void> release;
  std::thread holder = HoldLane(&started, release.get_future().share());
  started.get_future().wait();

  constexpr int kPieces = 6;
  std::vector<std::thread> threads;
  std::vector<Status> results(kPieces);
  std::vector<std::size_t> seen_at_answer(kPieces, 0);
  for (int i = 0; i < kPieces; i++) {
    threads.emplace_back([&, i] {
      results[i] = lane_->Run(Durability::kDurable,
                              Insert("p" + std::to_string(i), i == 2));
      // Right at the answer, from a session of its own.
      auto other = Connect();
      if (other == nullptr) return;
      Result<PgRows> n = other->Query("SELECT count(*) FROM lane_rows");
      if (n.ok()) seen_at_answer[i] = n.value().Int(0, 0);
    });
  }
  ASSERT_TRUE(WaitFor([&] { return lane_->Waiting() == kPieces; }));
  release.set_value();
  holder.join();
  for (std::thread& t : threads) t.join();

  for (int i = 0; i < kPieces; i++) {
    if (i == 2) {
      EXPECT_EQ(results[i].code(), Code::kInternal);
    } else {
      EXPECT_OK(results[i]);
    }
    EXPECT_EQ(seen_at_answer[i], kPieces - 1u) << "piece " << i;
  }
  const std::map<std::string, std::int64_t> rows = Committed();
  ASSERT_EQ(rows.size(), kPieces - 1u);
  EXPECT_EQ(rows.count("p2"), 0u);
  // One transaction for the batch.
  for (const auto& [name, tx] : rows) EXPECT_EQ(tx, rows.at("p0")) << name;
}

// A piece whose mailbox lock another session (another host's batch) holds
// is left out of the batch; the rest of the batch commits meanwhile, and
// the piece runs once the lock is free.
TEST_F(PgWriteLaneTest, APieceWhoseMailboxIsLockedElsewhereWaitsAlone) {
  auto other_host = Connect();
  ASSERT_NE(other_host, nullptr);
  PgTransaction held(other_host.get());
  ASSERT_OK(held.status());
  ASSERT_OK(other_host->Query("SELECT pg_advisory_xact_lock(hashtext($1))",
                              {"ann@example.com"}));

  std::promise<void> started;
  std::promise<void> release;
  std::thread holder = HoldLane(&started, release.get_future().share());
  started.get_future().wait();
  std::atomic<bool> locked_done{false};
  Status locked_result;
  std::thread locked([&] {
    locked_result = lane_->Run(Durability::kDurable, "ann@example.com",
                               Insert("ann"));
    locked_done = true;
  });
  std::vector<std::thread> others;
  std::vector<Status> results(4);
  std::atomic<int> others_done{0};
  for (int i = 0; i < 4; i++) {
    others.emplace_back([&, i] {
      results[i] = i < 3 ? lane_->Run(Durability::kDurable, "bob@example.com",
                                      Insert("b" + std::to_string(i)))
                         : lane_->Run(Durability::kRelaxed, Insert("free"));
      others_done++;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return lane_->Waiting() == 5; }));
  release.set_value();
  holder.join();
  // The others are answered while the mailbox is still locked elsewhere.
  EXPECT_TRUE(WaitFor([&] { return others_done == 4; },
                      std::chrono::seconds(5)));
  EXPECT_FALSE(locked_done.load());
  EXPECT_EQ(Committed().size(), 4u);

  EXPECT_OK(held.Commit());
  for (std::thread& t : others) t.join();
  for (const Status& s : results) EXPECT_OK(s);
  locked.join();
  EXPECT_OK(locked_result);
  EXPECT_EQ(Committed().count("ann"), 1u);
}

// A batch's pieces of one mailbox share its lock: neither waits for the
// other.
TEST_F(PgWriteLaneTest, TwoPiecesOfOneMailboxInOneBatchBothRun) {
  std::promise<void> started;
  std::promise<void> release;
  std::thread holder = HoldLane(&started, release.get_future().share());
  started.get_future().wait();
  std::vector<std::thread> threads;
  std::vector<Status> results(2);
  for (int i = 0; i < 2; i++) {
    threads.emplace_back([&, i] {
      results[i] = lane_->Run(Durability::kDurable, "ann@example.com",
                              Insert("a" + std::to_string(i)));
    });
  }
  ASSERT_TRUE(WaitFor([&] { return lane_->Waiting() == 2; }));
  release.set_value();
  holder.join();
  for (std::thread& t : threads) t.join();
  EXPECT_OK(results[0]);
  EXPECT_OK(results[1]);
  const std::map<std::string, std::int64_t> rows = Committed();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at("a0"), rows.at("a1"));
}

// With two connections (the service's lane), a batch runs while another
// is held, and both commit.
TEST_F(PgWriteLaneTest, TwoConnectionsRunABatchBesideAHeldOne) {
  UseTwoConnections();
  std::promise<void> started;
  std::promise<void> release;
  std::thread holder = HoldLane(&started, release.get_future().share());
  started.get_future().wait();
  EXPECT_OK(lane_->Run(Durability::kDurable, Insert("beside")));
  EXPECT_EQ(Committed().count("beside"), 1u);
  release.set_value();
  holder.join();
}

// With two connections and one held by the work after the answers, a
// relaxed piece does not take the other: it waits, and joins the batch the
// next registration leads on it (the same transaction).
TEST_F(PgWriteLaneTest, ARelaxedPieceLeavesTheLastConnectionToRegistrations) {
  UseTwoConnections();
  std::promise<void> started;
  std::promise<void> release;
  std::thread holder = HoldLane(&started, release.get_future().share(),
                                Durability::kRelaxed);
  started.get_future().wait();
  Status relaxed;
  std::thread mail([&] {
    relaxed = lane_->Run(Durability::kRelaxed, Insert("relaxed"));
  });
  // It waits (queued, not taken) rather than leading on the free one.
  ASSERT_TRUE(WaitFor([&] { return lane_->Waiting() == 1; },
                      std::chrono::seconds(2)))
      << "the relaxed piece took the last free connection";
  EXPECT_OK(lane_->Run(Durability::kDurable, Insert("registration")));
  mail.join();
  EXPECT_OK(relaxed);
  const std::map<std::string, std::int64_t> rows = Committed();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at("relaxed"), rows.at("registration"));
  release.set_value();
  holder.join();
}

}  // namespace
}  // namespace reg
