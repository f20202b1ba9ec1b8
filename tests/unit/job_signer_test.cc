#include "crypto/job_signer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/encoding.h"
#include "crypto/token.h"

namespace reg {
namespace {

// True for exactly 64 lowercase hex characters. (No std::regex: g++ 12
// warns inside it under -O1 -fsanitize, and the build uses -Werror.)
bool Is64LowerHex(std::string_view s) {
  return s.size() == 64 &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string Hex(const Result<std::string>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? HexEncode(r.value()) : std::string();
}

// RFC 4231 section 4.
TEST(HmacSha256, MatchesRfc4231Cases1To7) {
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (char c = 1; c <= 25; ++c) key4.push_back(c);
  EXPECT_EQ(Hex(HmacSha256(key4, std::string(50, '\xcd'))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Case 5 is truncated to 128 bits.
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0c'), "Test With Truncation"))
                .substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key "
                           "First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "This is a test using a larger than block-size key "
                           "and a larger than block-size data. The key needs "
                           "to be hashed before being used by the HMAC "
                           "algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

const std::string kKey(64, 'a');
constexpr std::int64_t kTs = 1'700'000'000;
constexpr std::string_view kBody = R"({"to":"a@example.com","kind":"verify"})";

JobSigner MakeSigner(std::string key = kKey) {
  Result<JobSigner> s = JobSigner::Create(std::move(key));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

TEST(JobSigner, RejectsAnEmptyKey) { EXPECT_FALSE(JobSigner::Create("").ok()); }

TEST(JobSigner, SignsAsV1LowercaseHexOfHmacOverTimestampDotBody) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  EXPECT_EQ(sig.substr(0, 3), "v1=");
  EXPECT_TRUE(Is64LowerHex(sig.substr(3))) << sig;
  EXPECT_EQ(sig,
            "v1=" + Hex(HmacSha256(kKey, "1700000000." + std::string(kBody))));
}

TEST(JobSigner, AcceptsItsOwnSignatureWithin300s) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  std::string ts = std::to_string(kTs);
  for (std::int64_t skew : {0, 1, -1, 300, -300}) {
    Status s = signer.Verify(ts, sig, kBody, kTs + skew);
    EXPECT_TRUE(s.ok()) << skew << " " << s.ToString();
  }
}

TEST(JobSigner, RejectsTimestampMoreThan300sAway) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  std::string ts = std::to_string(kTs);
  for (std::int64_t skew : {301, -301, 100000}) {
    Status s = signer.Verify(ts, sig, kBody, kTs + skew);
    EXPECT_EQ(s.code(), Code::kUnauthenticated) << skew;
  }
  EXPECT_EQ(signer.Verify(ts, sig, kBody, INT64_MIN).code(),
            Code::kUnauthenticated);
  EXPECT_EQ(signer.Verify(ts, sig, kBody, INT64_MAX).code(),
            Code::kUnauthenticated);
}

TEST(JobSigner, RejectsATamperedBody) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  std::string body(kBody);
  body[5] ^= 1;
  EXPECT_EQ(signer.Verify(std::to_string(kTs), sig, body, kTs).code(),
            Code::kUnauthenticated);
  EXPECT_EQ(signer.Verify(std::to_string(kTs), sig, body + " ", kTs).code(),
            Code::kUnauthenticated);
}

TEST(JobSigner, RejectsASignatureWithOneHexDigitChanged) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  for (size_t i : {size_t{3}, size_t{40}, sig.size() - 1}) {
    std::string bad = sig;
    bad[i] = bad[i] == '0' ? '1' : '0';
    EXPECT_EQ(signer.Verify(std::to_string(kTs), bad, kBody, kTs).code(),
              Code::kUnauthenticated)
        << i;
  }
}

TEST(JobSigner, RejectsASignatureForAnotherTimestamp) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  EXPECT_EQ(signer.Verify(std::to_string(kTs + 1), sig, kBody, kTs).code(),
            Code::kUnauthenticated);
}

TEST(JobSigner, RejectsMalformedSignatureHeaders) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  std::string hex = sig.substr(3);
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  upper[0] = 'v';  // keep "v1=", uppercase only the hex
  ASSERT_NE(upper, sig);
  const std::string bad[] = {
      "",
      hex,
      "v2=" + hex,
      "V1=" + hex,
      upper,
      " " + sig,
      sig + " ",
      sig + "0",
      sig.substr(0, sig.size() - 1),
      sig + ",v1=" + hex,
  };
  for (const std::string& b : bad) {
    EXPECT_EQ(signer.Verify(std::to_string(kTs), b, kBody, kTs).code(),
              Code::kUnauthenticated)
        << b;
  }
}

TEST(JobSigner, RejectsMissingOrNonDigitTimestamps) {
  JobSigner signer = MakeSigner();
  std::string sig = signer.Sign(kTs, kBody);
  for (std::string ts :
       {"", "-1700000000", "+1700000000", "1700000000 ", " 1700000000",
        "17000000O0", "1.7e9", "0001700000000"}) {
    EXPECT_EQ(signer.Verify(ts, sig, kBody, kTs).code(), Code::kUnauthenticated)
        << ts;
  }
  EXPECT_EQ(signer.Verify("", "", kBody, kTs).code(), Code::kUnauthenticated);
}

TEST(JobSigner, RejectsASignatureMadeWithAnotherKey) {
  JobSigner signer = MakeSigner();
  JobSigner other = MakeSigner(std::string(64, 'b'));
  std::string sig = other.Sign(kTs, kBody);
  Status s = signer.Verify(std::to_string(kTs), sig, kBody, kTs);
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_EQ(s.message().find(kKey), std::string::npos);
}

TEST(JobSigner, WorksAfterAMove) {
  JobSigner a = MakeSigner();
  std::string sig = a.Sign(kTs, kBody);
  JobSigner b = std::move(a);
  EXPECT_EQ(b.Sign(kTs, kBody), sig);
  EXPECT_TRUE(b.Verify(std::to_string(kTs), sig, kBody, kTs).ok());
}

// A fresh directory, removed with everything in it afterwards.
class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/job_signer_test.XXXXXX";
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
