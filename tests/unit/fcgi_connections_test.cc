#include "worker/fcgi_connections.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/handles.h"
#include "testutil.h"

namespace reg {
namespace {

using std::chrono::seconds;

// A listening Unix socket in the abstract namespace (no file), as
// spawn-fcgi's fd 0, and the clients nginx would be.
class FcgiConnectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_.sun_family = AF_UNIX;
    const std::string name = "registrar-test-" + std::to_string(getpid()) +
                             "-" + std::to_string(++counter_);
    name.copy(address_.sun_path + 1, name.size());
    length_ = offsetof(sockaddr_un, sun_path) + 1 + name.size();
    listen_.reset(socket(AF_UNIX, SOCK_STREAM, 0));
    ASSERT_TRUE(listen_.valid());
    ASSERT_EQ(
        bind(listen_.get(), reinterpret_cast<sockaddr*>(&address_), length_),
        0);
    ASSERT_EQ(listen(listen_.get(), 16), 0);
    Result<std::unique_ptr<FcgiConnections>> opened =
        FcgiConnections::Open(listen_.get());
    ASSERT_OK(opened);
    connections_ = std::move(opened).value();
  }
  void TearDown() override {
    if (connections_) connections_->Stop();
  }

  // A client connected, which has sent "bytes" (none if empty).
  UniqueFd Client(const std::string& bytes) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    EXPECT_EQ(
        connect(fd.get(), reinterpret_cast<sockaddr*>(&address_), length_), 0);
    if (!bytes.empty()) Send(fd.get(), bytes);
    return fd;
  }
  static void Send(int fd, const std::string& bytes) {
    EXPECT_EQ(write(fd, bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  // What a taken connection has to read (up to 64 bytes).
  static std::string Read(int fd) {
    char buf[64];
    const ssize_t n = read(fd, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  // Next(), or -2 if it had not returned within 5 s (then Stop()s, so that
  // a broken build fails rather than hangs).
  int NextWithin5s() {
    std::future<int> next =
        std::async(std::launch::async, [this] { return connections_->Next(); });
    if (next.wait_for(seconds(5)) != std::future_status::ready) {
      connections_->Stop();
      next.wait();
      return -2;
    }
    return next.get();
  }

  // Takes the next connection, reads "request" from it and keeps it, as a
  // request thread does: its fd (then owned by "*own"), or -1.
  int TakeReadKeep(const std::string& request, UniqueFd* own) {
    const int taken = NextWithin5s();
    if (taken < 0) return -1;
    own->reset(taken);
    EXPECT_EQ(Read(taken), request);
    connections_->Keep(taken);
    return taken;
  }

  static inline int counter_ = 0;
  sockaddr_un address_{};
  socklen_t length_ = 0;
  UniqueFd listen_;
  std::unique_ptr<FcgiConnections> connections_;
};

TEST_F(FcgiConnectionsTest, AnIdleKeptConnectionHoldsNoThread) {
  UniqueFd a = Client("first request");
  UniqueFd taken_a;
  ASSERT_GE(TakeReadKeep("first request", &taken_a), 0);  // idle now

  // libfcgi's own loop would now read the idle one; b would wait.
  UniqueFd b = Client("on a new connection");
  UniqueFd taken_b(NextWithin5s());
  ASSERT_TRUE(taken_b.valid());
  EXPECT_EQ(Read(taken_b.get()), "on a new connection");
}

TEST_F(FcgiConnectionsTest, AKeptConnectionComesBackWithItsNextRequest) {
  UniqueFd a = Client("first");
  UniqueFd own;
  const int taken = TakeReadKeep("first", &own);
  ASSERT_GE(taken, 0);
  Send(a.get(), "second");
  EXPECT_EQ(NextWithin5s(), taken);
  EXPECT_EQ(Read(taken), "second");
  // Kept again, and again it comes back.
  connections_->Keep(taken);
  Send(a.get(), "third");
  EXPECT_EQ(NextWithin5s(), taken);
  EXPECT_EQ(Read(taken), "third");
}

TEST_F(FcgiConnectionsTest, AKeptConnectionNginxClosedIsHandedOverToClose) {
  UniqueFd a = Client("only request");
  UniqueFd own;
  const int taken = TakeReadKeep("only request", &own);
  ASSERT_GE(taken, 0);
  a.reset();  // nginx drops it from its cache
  EXPECT_EQ(NextWithin5s(), taken);
  EXPECT_EQ(Read(taken), "");  // end of file
}

TEST_F(FcgiConnectionsTest, ConcurrentTakersNeverShareAConnection) {
  constexpr int kClients = 12;
  std::vector<UniqueFd> clients;
  for (int i = 0; i < kClients; i++) {
    clients.push_back(Client("request " + std::to_string(i)));
  }
  std::vector<std::future<int>> takers;
  for (int i = 0; i < kClients; i++) {
    takers.push_back(std::async(std::launch::async,
                                [this] { return connections_->Next(); }));
  }
  std::set<std::string> read;
  std::set<int> fds;
  std::vector<UniqueFd> taken;  // closed at the end: no number reused
  for (std::future<int>& taker : takers) {
    ASSERT_EQ(taker.wait_for(seconds(5)), std::future_status::ready);
    taken.emplace_back(taker.get());
    ASSERT_TRUE(taken.back().valid());
    fds.insert(taken.back().get());
    read.insert(Read(taken.back().get()));
  }
  EXPECT_EQ(fds.size(), static_cast<std::size_t>(kClients));
  EXPECT_EQ(read.size(), static_cast<std::size_t>(kClients));
}

TEST_F(FcgiConnectionsTest, StopWakesEveryWaitingThreadAndEveryLaterOne) {
  std::vector<std::future<int>> waiting;
  for (int i = 0; i < 3; i++) {  // one leads, two wait to lead
    waiting.push_back(std::async(std::launch::async,
                                 [this] { return connections_->Next(); }));
  }
  connections_->Stop();
  for (std::future<int>& w : waiting) {
    ASSERT_EQ(w.wait_for(seconds(5)), std::future_status::ready);
    EXPECT_EQ(w.get(), -1);
  }
  UniqueFd late = Client("after the stop");
  EXPECT_EQ(NextWithin5s(), -1);
}

}  // namespace
}  // namespace reg
