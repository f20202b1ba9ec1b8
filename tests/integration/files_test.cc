// Files and users (issue 12, item 5): tools/stack keeps DATA_DIR to the
// workers' user (mode 0700), refuses one that another user owns or others
// can write, and, started as root, runs all of itself (nginx, the FastCGI
// workers, the sink) as an unprivileged user; the socket is that user's.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "stack.h"
#include "testutil.h"

namespace reg::testing {
namespace {

// The real uid of a process, -1 if it is gone.
int UidOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) return std::atoi(line.c_str() + 4);
  }
  return -1;
}

// The pids whose parent is "parent" (nginx's workers).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::istringstream ids(ReadFile("/proc/" + std::to_string(parent) + "/task/" +
                                  std::to_string(parent) + "/children"));
  std::vector<pid_t> pids;
  for (pid_t p; ids >> p;) pids.push_back(p);
  return pids;
}

class StackAsRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "tools/stack drops privileges as root";
  }
};

TEST_F(StackAsRoot, RunsEveryWorkerUnprivilegedWithAPrivateDataDir) {
  Stack stack({}, nullptr);
  ASSERT_TRUE(stack.running()) << stack.Output();
  ASSERT_FALSE(stack.WorkerPids().empty());
  for (pid_t p : stack.WorkerPids()) EXPECT_NE(UidOf(p), 0) << "worker " << p;
  EXPECT_NE(UidOf(stack.NginxPid()), 0) << "nginx's master";
  std::vector<pid_t> nginx_workers = ChildrenOf(stack.NginxPid());
  ASSERT_FALSE(nginx_workers.empty());
  for (pid_t p : nginx_workers) EXPECT_NE(UidOf(p), 0) << "nginx worker " << p;

  struct stat st;
  ASSERT_EQ(stat(stack.data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(static_cast<int>(st.st_uid), UidOf(stack.WorkerPids()[0]));
  ASSERT_EQ(stat((stack.data_dir() + "/registrar.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<int>(st.st_uid), UidOf(nginx_workers[0]));
  ASSERT_EQ(stat((stack.data_dir() + "/job.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<int>(st.st_uid), UidOf(stack.WorkerPids()[0]));
  EXPECT_EQ(stack.Get("/healthz").status, 200);
  EXPECT_TRUE(stack.Stop());
}

TEST_F(StackAsRoot, RefusesADataDirOwnedByAnotherUser) {
  const std::string data = MakeTempDir();
  ASSERT_EQ(chown(data.c_str(), 1, 1), 0);  // daemon
  Stack stack({}, nullptr, data);
  EXPECT_FALSE(stack.running());
  EXPECT_NE(stack.Output().find("belongs to uid 1"), std::string::npos)
      << stack.Output();
}

TEST_F(StackAsRoot, RefusesADataDirOthersCanWrite) {
  const std::string data = MakeTempDir();
  ASSERT_EQ(chmod(data.c_str(), 0777), 0);
  Stack stack({}, nullptr, data);
  EXPECT_FALSE(stack.running());
  EXPECT_NE(stack.Output().find("writable by group or others"),
            std::string::npos)
      << stack.Output();
}

TEST(SecretFile, ASymlinkPlantedAsTheSecretIsNotFollowed) {
  const std::string data = MakeTempDir();
  const std::string target = MakeTempDir() + "/planted";
  ASSERT_EQ(symlink(target.c_str(), (data + "/job.secret").c_str()), 0);
  Stack stack({}, nullptr, data);
  EXPECT_FALSE(stack.running());
  EXPECT_NE(ReadFile(data + "/registrar.log").find("job.secret: is a symlink"),
            std::string::npos)
      << ReadFile(data + "/registrar.log") << stack.Output();
  struct stat st;
  EXPECT_NE(stat(target.c_str(), &st), 0) << "a secret was written through";
}

}  // namespace
}  // namespace reg::testing
