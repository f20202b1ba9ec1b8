#include "crypto/seal.h"

#include <gtest/gtest.h>

#include <string>

namespace reg {
namespace {

Sealer MakeSealer(std::string_view secret) {
  Result<Sealer> s = Sealer::Create(secret);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

const std::string kSealSecret(64, 'c');

std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i * 31 + 7));
  return s;
}

TEST(Sealer, RejectsAnEmptySecret) { EXPECT_FALSE(Sealer::Create("").ok()); }

TEST(Sealer, RoundTripsEmptyOneByteAnd100KB) {
  Sealer sealer = MakeSealer(kSealSecret);
  for (size_t n : {size_t{0}, size_t{1}, size_t{100 * 1024}}) {
    std::string plain = Text(n);
    Result<std::string> sealed = sealer.Seal(plain);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(sealed.value().size(), n + 30);
    EXPECT_EQ(sealed.value().substr(0, 2), "s1");
    Result<std::string> opened = sealer.Open(sealed.value());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened.value(), plain);
  }
}

TEST(Sealer, HidesThePlaintext) {
  Sealer sealer = MakeSealer(kSealSecret);
  std::string token =
      "verify?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  Result<std::string> sealed = sealer.Seal(token);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed.value().find("token"), std::string::npos);
  EXPECT_EQ(sealed.value().find("AAAAAAAA"), std::string::npos);
}

TEST(Sealer, TwoSealsOfOneTextDiffer) {
  Sealer sealer = MakeSealer(kSealSecret);
  Result<std::string> a = sealer.Seal("hello");
  Result<std::string> b = sealer.Seal("hello");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a.value(), b.value());
}

TEST(Sealer, OpenFailsWhenAnyByteIsChanged) {
  Sealer sealer = MakeSealer(kSealSecret);
  Result<std::string> sealed = sealer.Seal("a mail with a token in it");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed.value().size(); ++i) {
    for (int flip : {0x01, 0x80}) {
      std::string bad = sealed.value();
      bad[i] = static_cast<char>(bad[i] ^ flip);
      Result<std::string> opened = sealer.Open(bad);
      ASSERT_FALSE(opened.ok()) << "byte " << i;
      EXPECT_EQ(opened.status().code(), Code::kInternal);
    }
  }
}

TEST(Sealer, OpenFailsWhenTruncatedOrExtended) {
  Sealer sealer = MakeSealer(kSealSecret);
  Result<std::string> sealed = sealer.Seal("hello");
  ASSERT_TRUE(sealed.ok());
  const std::string& s = sealed.value();
  for (size_t n = 0; n < s.size(); ++n) {
    EXPECT_FALSE(sealer.Open(s.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(sealer.Open(s + "x").ok());
  EXPECT_EQ(sealer.Open("").status().message(), "sealed mail: bad version");
  EXPECT_EQ(sealer.Open("s2" + s.substr(2)).status().message(),
            "sealed mail: bad version");
  EXPECT_EQ(sealer.Open(s.substr(0, 29)).status().message(),
            "sealed mail: too short");
  std::string bad = s;
  bad[s.size() - 1] ^= 1;
  EXPECT_EQ(sealer.Open(bad).status().message(),
            "sealed mail: authentication failed");
}

TEST(Sealer, OpenFailsUnderAnotherKey) {
  Sealer sealer = MakeSealer(kSealSecret);
  Sealer other = MakeSealer(std::string(64, 'd'));
  Result<std::string> sealed = sealer.Seal("hello");
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(other.Open(sealed.value()).ok());
}

TEST(Sealer, SameSecretGivesSameKeyAcrossInstancesAndMoves) {
  Sealer a = MakeSealer(kSealSecret);
  Result<std::string> sealed = a.Seal("hello");
  ASSERT_TRUE(sealed.ok());
  Sealer b = MakeSealer(kSealSecret);
  Sealer c = std::move(b);
  Result<std::string> opened = c.Open(sealed.value());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), "hello");
}

}  // namespace
}  // namespace reg
