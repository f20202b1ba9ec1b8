// Limits behind a load balancer (CONTRACT sections 1 and 7, REAL_IP_FROM):
// a front nginx before one host, clients from several loopback addresses
// (127.0.0.2, .3, ...: all reach the front). One host on the run's engine
// shows it: the limits are nginx's, before any database.
#include <string>

#include "front.h"
#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

// A bad registration: answered 422 without hashing, counted all the same
// by the per-client rate limit of POST /register.
const std::string kBadRegistration = R"({"email":"x","password":"p"})";

class RealIpTest : public StackSuite {
 protected:
  static void SetUpTestSuite() {
    // One registration a minute and a burst of 5: the 7th post within the
    // minute gets 429. Only the front (127.0.0.1) is believed.
    StartStack({{"RATE_LIMIT", "1"}, {"REAL_IP_FROM", "127.0.0.1"}});
    front_ = new Front(MakeTempDir(), {stack().port()});
  }
  static void TearDownTestSuite() {
    delete front_;
    front_ = nullptr;
    StackSuite::TearDownTestSuite();
  }

  // Posts a bad registration from "from" to "url" until 429 (at most 20
  // times); the number of posts answered before it, or -1 if none was 429.
  static int PostsBefore429(const std::string& url, const std::string& from,
                            const std::string& forged_prefix = "") {
    for (int i = 0; i < 20; i++) {
      std::vector<std::string> headers = {kJson};
      if (!forged_prefix.empty()) {
        headers.push_back("X-Forwarded-For: " + forged_prefix +
                          std::to_string(i + 1));
      }
      const HttpResponse r = Http("POST", url, kBadRegistration, headers, from);
      if (r.status == 429) return i;
      EXPECT_EQ(r.status, 422) << from << ": " << r.error << r.body;
    }
    return -1;
  }

  static Front* front_;
};

Front* RealIpTest::front_ = nullptr;

TEST_F(RealIpTest, EachClientBehindTheFrontHasItsOwnAllowance) {
  ASSERT_TRUE(stack().running()) << stack().Output();
  ASSERT_TRUE(front_->up());
  const std::string url = front_->Url("/register");
  // 127.0.0.2 spends its allowance (1 + a burst of 5) ...
  EXPECT_EQ(PostsBefore429(url, "127.0.0.2"), 6);
  // ... and 127.0.0.3, through the same front, still has all of its.
  EXPECT_EQ(PostsBefore429(url, "127.0.0.3"), 6);
  // The host's log names the real clients, not the front.
  const std::string log = ReadFile(stack().data_dir() + "/nginx/access.log");
  EXPECT_NE(log.find("127.0.0.2 ["), std::string::npos);
  EXPECT_NE(log.find("127.0.0.3 ["), std::string::npos);
}

TEST_F(RealIpTest, ForgedForwardedForChangesNothing) {
  ASSERT_TRUE(stack().running()) << stack().Output();
  ASSERT_TRUE(front_->up());
  // Straight to the host from a client that is not the front: a new
  // address in every X-Forwarded-For, and its own address still counts.
  EXPECT_EQ(PostsBefore429(stack().Url("/register"), "127.0.0.4", "10.9.9."),
            6);
  // Through the front: the front appends the real client, and only the
  // front's own addition is believed.
  EXPECT_EQ(PostsBefore429(front_->Url("/register"), "127.0.0.5", "10.9.8."),
            6);
  // A client the front never saw keeps its allowance.
  EXPECT_EQ(
      Http("POST", front_->Url("/register"), kBadRegistration, {kJson},
           "127.0.0.6")
          .status,
      422);
}

TEST(RealIpSetting, ABadValueStopsTheStackNamingIt) {
  Stack stack({{"REAL_IP_FROM", "127.0.0.1, 10.0.0.1/8"}}, nullptr);
  EXPECT_FALSE(stack.running());
  EXPECT_NE(stack.Output().find("REAL_IP_FROM=127.0.0.1, 10.0.0.1/8: "
                                "'10.0.0.1/8' is not an address or CIDR"),
            std::string::npos)
      << stack.Output();
}

}  // namespace
}  // namespace reg::testing
