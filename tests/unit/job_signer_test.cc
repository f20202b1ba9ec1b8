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

TEST(JobSecretFingerprint, IsHexOfHmacOfAFixedStringUnderTheSecret) {
  // Python: hmac.new(b"0" * 64, b"registrar job secret fingerprint v1",
  // hashlib.sha256).hexdigest()
  Result<std::string> f = JobSecretFingerprint(std::string(64, '0'));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.value(),
            "536d35be43cd2da3707d0f1361878fccad879419538ac30bc9500552004057f9");
  Result<std::string> other = JobSecretFingerprint(std::string(64, '1'));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other.value(), f.value());
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

}  // namespace
}  // namespace reg
