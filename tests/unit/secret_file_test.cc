#include "crypto/secret_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace reg {
namespace {

// A fresh directory, removed with everything in it afterwards.
class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/secret_file_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes "content" to dir_/name with exactly "mode"; returns the path.
  std::string Write(const std::string& name, const std::string& content,
                    mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, content.data(), content.size()),
              static_cast<ssize_t>(content.size()));
    EXPECT_EQ(fchmod(fd, mode), 0);
    close(fd);
    return path;
  }

  std::string dir_;
};

const std::string kSecret =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST_F(SecretFileTest, LoadsAGoodFile) {
  Result<std::string> s = LoadSecret(Write("secret", kSecret));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s.value(), kSecret);
}

TEST_F(SecretFileTest, AcceptsOneTrailingNewline) {
  Result<std::string> s = LoadSecret(Write("secret", kSecret + "\n"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s.value(), kSecret);
}

TEST_F(SecretFileTest, RejectsGroupOrOtherPermissions) {
  for (mode_t mode : {0644u, 0640u, 0604u, 0610u, 0602u}) {
    Result<std::string> s = LoadSecret(Write("secret", kSecret, mode));
    ASSERT_FALSE(s.ok()) << std::oct << mode;
    EXPECT_NE(s.status().message().find("chmod 600"), std::string::npos);
    EXPECT_EQ(s.status().message().find(kSecret), std::string::npos);
  }
  EXPECT_TRUE(LoadSecret(Write("secret", kSecret, 0400)).ok());
}

TEST_F(SecretFileTest, RejectsBadContentWithoutEchoingIt) {
  std::string upper = kSecret;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  const std::string bad[] = {
      "",
      kSecret.substr(0, 63),
      kSecret + "0",
      upper,
      kSecret + "\n\n",
      kSecret + "\r\n",
      " " + kSecret.substr(1),
      kSecret.substr(0, 63) + "g",
  };
  for (const std::string& content : bad) {
    Result<std::string> s = LoadSecret(Write("secret", content));
    ASSERT_FALSE(s.ok()) << content;
    EXPECT_EQ(s.status().code(), Code::kInternal);
    if (content.size() >= 16) {
      EXPECT_EQ(s.status().message().find(content.substr(0, 16)),
                std::string::npos);
    }
  }
}

TEST_F(SecretFileTest, RejectsMissingFilesAndDirectories) {
  EXPECT_FALSE(LoadSecret(dir_ + "/missing").ok());
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);
  EXPECT_FALSE(LoadSecret(dir_).ok());
}

TEST_F(SecretFileTest, CreateSecretIfMissingCreatesMode0600HexOnce) {
  std::string path = dir_ + "/secret";
  Result<std::string> first = CreateSecretIfMissing(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(Is64LowerHex(first.value()));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 64);

  Result<std::string> second = CreateSecretIfMissing(path);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second.value(), first.value());

  Result<std::string> other = CreateSecretIfMissing(dir_ + "/other");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other.value(), first.value());
}

TEST_F(SecretFileTest, RefusesASymlinkEvenToAGoodSecret) {
  const std::string target = Write("real", kSecret);
  const std::string link = dir_ + "/secret";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  Result<std::string> s = LoadSecret(link);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("symlink"), std::string::npos);
  // CreateSecretIfMissing neither follows it nor writes through it.
  EXPECT_FALSE(CreateSecretIfMissing(link).ok());
  EXPECT_EQ(LoadSecret(target).value(), kSecret);
}

TEST_F(SecretFileTest, RefusesAFileOwnedByAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  const std::string path = Write("secret", kSecret);
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  Result<std::string> s = LoadSecret(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("owned by uid 65534"), std::string::npos)
      << s.status().message();
}

TEST_F(SecretFileTest, LoadsASecretOfTheOwnerItIsGiven) {
  const std::string path = Write("secret", kSecret);
  EXPECT_EQ(LoadSecret(path, geteuid()).value(), kSecret);
  const uid_t other = geteuid() == 0 ? 65534 : geteuid() + 1;
  Result<std::string> s = LoadSecret(path, other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("(uid " + std::to_string(other) + ")"),
            std::string::npos)
      << s.status().message();
}

// regctl run by root trusts the secret of DATA_DIR's owner (the user the
// workers run as); anyone else only its own.
TEST_F(SecretFileTest, RootTrustsTheSecretOfTheDataDirsOwner) {
  EXPECT_EQ(SecretOwner(1234, dir_).value(), 1234u);
  EXPECT_EQ(SecretOwner(1234, dir_ + "/missing").value(), 1234u);
  EXPECT_EQ(SecretOwner(0, dir_).value(), geteuid());  // the test's folder
  Result<uid_t> missing = SecretOwner(0, dir_ + "/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_ + "/missing"),
            std::string::npos);
  if (geteuid() != 0) return;  // chown needs root
  ASSERT_EQ(chown(dir_.c_str(), 65534, 65534), 0);
  EXPECT_EQ(SecretOwner(0, dir_).value(), 65534u);
  const std::string path = Write("secret", kSecret);
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  EXPECT_EQ(LoadSecret(path, SecretOwner(0, dir_).value()).value(), kSecret);
  EXPECT_FALSE(LoadSecret(path).ok());  // root's own secret it is not
}

// Workers that start together (spawn-fcgi -F 2, or tools/stack) race to
// make a missing secret: all get the same one, none a half-written file.
TEST_F(SecretFileTest, CreatorsRacingOnAMissingSecretAllGetTheSameOne) {
  for (int round = 0; round < 20; round++) {
    const std::string path = dir_ + "/race-" + std::to_string(round);
    std::vector<Result<std::string>> got(8, Status::Internal("not run"));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < got.size(); i++) {
      threads.emplace_back([&, i] { got[i] = CreateSecretIfMissing(path); });
    }
    for (std::thread& t : threads) t.join();
    for (const Result<std::string>& r : got) {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r.value(), got[0].value());
    }
  }
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    files++;
  }
  EXPECT_EQ(files, 20);
}

TEST_F(SecretFileTest, CreateSecretIfMissingChecksAnExistingFile) {
  std::string path = Write("secret", kSecret, 0644);
  EXPECT_FALSE(CreateSecretIfMissing(path).ok());
  EXPECT_FALSE(CreateSecretIfMissing(dir_ + "/no/such/dir/secret").ok());
}

}  // namespace
}  // namespace reg
