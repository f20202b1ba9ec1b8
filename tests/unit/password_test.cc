#include "crypto/password.h"

#include <gtest/gtest.h>

#include <string>

#include "base/encoding.h"
#include "crypto/token.h"

namespace reg {
namespace {

// Hex of scrypt(password, salt, 2^log2_n, r, p) with a 64-byte output.
std::string ScryptHex(std::string_view password, std::string_view salt,
                      int log2_n, int r, int p) {
  unsigned char out[64];
  Status s =
      Scrypt(password, salt, ScryptParams{log2_n, r, p}, out, sizeof out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), sizeof out));
}

const ScryptParams kFast{4, 8, 1};  // N = 16: cheap enough for tests

TEST(Scrypt, MatchesRfc7914VectorWithEmptyPasswordAndSalt) {
  EXPECT_EQ(ScryptHex("", "", 4, 1, 1),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

TEST(Scrypt, MatchesRfc7914VectorPasswordNaCl) {
  EXPECT_EQ(ScryptHex("password", "NaCl", 10, 8, 16),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(Scrypt, MatchesRfc7914VectorPleaseLetMeIn) {
  EXPECT_EQ(ScryptHex("pleaseletmein", "SodiumChloride", 14, 8, 1),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

TEST(Scrypt, WorksAtCostsAbove32MiB) {
  unsigned char out[32];
  // 128 * 8 * 2^15 = 32 MiB: EVP_PBE_scrypt's default limit (EVP_KDF's,
  // which Scrypt uses, is 1025 MiB).
  EXPECT_TRUE(
      Scrypt("pw", "salt", ScryptParams{15, 8, 1}, out, sizeof out).ok());
}

TEST(Scrypt, RejectsParametersOutOfBounds) {
  unsigned char out[32];
  EXPECT_FALSE(Scrypt("pw", "salt", ScryptParams{0, 8, 1}, out, 32).ok());
  EXPECT_FALSE(Scrypt("pw", "salt", ScryptParams{23, 8, 1}, out, 32).ok());
  EXPECT_FALSE(Scrypt("pw", "salt", ScryptParams{4, 0, 1}, out, 32).ok());
  EXPECT_FALSE(Scrypt("pw", "salt", ScryptParams{4, 8, 0}, out, 32).ok());
  EXPECT_FALSE(Scrypt("pw", "salt", ScryptParams{4, 8, 1}, out, 0).ok());
}

TEST(HashPassword, RoundTripsAtLog2N4And10) {
  for (int log2_n : {4, 10}) {
    ScryptParams params{log2_n, 8, 1};
    Result<std::string> hash = HashPassword("correct horse", params);
    ASSERT_TRUE(hash.ok()) << hash.status().ToString();
    Result<bool> good = VerifyPassword("correct horse", hash.value());
    ASSERT_TRUE(good.ok()) << good.status().ToString();
    EXPECT_TRUE(good.value());
    Result<bool> bad = VerifyPassword("correct horsf", hash.value());
    ASSERT_TRUE(bad.ok()) << bad.status().ToString();
    EXPECT_FALSE(bad.value());
  }
}

TEST(HashPassword, VerifiesEmptyAndNonAsciiPasswords) {
  for (std::string pw : {std::string(), std::string("p\xc3\xa4ss\0word", 10)}) {
    Result<std::string> hash = HashPassword(pw, kFast);
    ASSERT_TRUE(hash.ok());
    Result<bool> ok = VerifyPassword(pw, hash.value());
    ASSERT_TRUE(ok.ok());
    EXPECT_TRUE(ok.value());
  }
  Result<std::string> hash = HashPassword(std::string("a\0b", 3), kFast);
  ASSERT_TRUE(hash.ok());
  Result<bool> truncated = VerifyPassword("a", hash.value());
  ASSERT_TRUE(truncated.ok());
  EXPECT_FALSE(truncated.value());
}

TEST(HashPassword, WritesThePhcFormatWithItsCost) {
  Result<std::string> hash = HashPassword("pw", ScryptParams{10, 8, 2});
  ASSERT_TRUE(hash.ok());
  // 16-byte salt: 22 characters; 32-byte key: 43 characters; no padding.
  const std::string prefix = "$scrypt$ln=10,r=8,p=2$";
  const std::string& h = hash.value();
  ASSERT_EQ(h.size(), prefix.size() + 22 + 1 + 43) << h;
  EXPECT_EQ(h.substr(0, prefix.size()), prefix);
  EXPECT_EQ(h[prefix.size() + 22], '$');
  const std::string b64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  EXPECT_EQ(h.substr(prefix.size(), 22).find_first_not_of(b64),
            std::string::npos);
  EXPECT_EQ(h.substr(prefix.size() + 23).find_first_not_of(b64),
            std::string::npos);
}

TEST(HashPassword, SaltsEachHash) {
  Result<std::string> a = HashPassword("same", kFast);
  Result<std::string> b = HashPassword("same", kFast);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a.value(), b.value());
}

TEST(HashPassword, RejectsBadParameters) {
  EXPECT_FALSE(HashPassword("pw", ScryptParams{0, 8, 1}).ok());
  EXPECT_FALSE(HashPassword("pw", ScryptParams{23, 8, 1}).ok());
}

TEST(VerifyPassword, VerifiesAHashBuiltFromKnownParts) {
  // A string assembled by hand from the documented format.
  unsigned char key[32];
  ASSERT_TRUE(Scrypt("pleaseletmein", "SodiumChloride", ScryptParams{4, 8, 1},
                     key, sizeof key)
                  .ok());
  std::string encoded =
      "$scrypt$ln=4,r=8,p=1$" + Base64Encode("SodiumChloride", false) + "$" +
      Base64Encode(std::string_view(reinterpret_cast<char*>(key), 32), false);
  Result<bool> ok = VerifyPassword("pleaseletmein", encoded);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok.value());
}

TEST(VerifyPassword, RejectsMalformedStringsAsMalformed) {
  Result<std::string> hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash.ok());
  const std::string& h = hash.value();
  size_t salt_at = h.find('$', 9) + 1;  // after "$scrypt$ln=4,r=8,p=1$"
  std::string tail = h.substr(salt_at);
  const std::string bad[] = {
      "",
      "$scrypt$",
      "scrypt$ln=4,r=8,p=1$" + tail,
      "$bcrypt$ln=4,r=8,p=1$" + tail,
      "$scrypt$ln=0,r=8,p=1$" + tail,
      "$scrypt$ln=23,r=8,p=1$" + tail,
      "$scrypt$ln=04,r=8,p=1$" + tail,
      "$scrypt$ln=+4,r=8,p=1$" + tail,
      "$scrypt$ln=4,r=0,p=1$" + tail,
      "$scrypt$ln=4,r=8,p=0$" + tail,
      "$scrypt$ln=4,r=8$" + tail,
      "$scrypt$r=8,ln=4,p=1$" + tail,
      "$scrypt$ln=4,r=8,p=1,x=1$" + tail,
      "$scrypt$ln=4,r=8,p=1$" + tail + "$",
      "$scrypt$ln=4,r=8,p=1$" + tail + "=",
      "$scrypt$ln=4,r=8,p=1$" + tail.substr(0, tail.find('$')),
      // 41 characters: no byte string encodes to that length. (Cutting one
      // character leaves a valid, shorter key whenever its last 4 bits
      // happen to be zero: 1 run in 16.)
      "$scrypt$ln=4,r=8,p=1$" + tail.substr(0, tail.size() - 2),
      "$scrypt$ln=4,r=8,p=1$$" + tail.substr(tail.find('$') + 1),
      "$scrypt$ln=4,r=8,p=1$" + tail.substr(0, 10) + "-" + tail.substr(11),
      h + " ",
      " " + h,
  };
  for (const std::string& s : bad) {
    Result<bool> r = VerifyPassword("pw", s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.status().code(), Code::kMalformed) << s;
    EXPECT_EQ(r.status().message().find("pw"), std::string::npos);
  }
  // The untouched string is fine: the cases differ only where they should.
  Result<bool> r = VerifyPassword("pw", "$scrypt$ln=4,r=8,p=1$" + tail);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value());
}

TEST(NeedsRehash, IsTrueWhenTheStoredCostDiffers) {
  Result<std::string> hash = HashPassword("pw", ScryptParams{4, 8, 1});
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(NeedsRehash(hash.value(), ScryptParams{4, 8, 1}));
  EXPECT_TRUE(NeedsRehash(hash.value(), ScryptParams{5, 8, 1}));
  EXPECT_TRUE(NeedsRehash(hash.value(), ScryptParams{4, 16, 1}));
  EXPECT_TRUE(NeedsRehash(hash.value(), ScryptParams{4, 8, 2}));
  EXPECT_TRUE(NeedsRehash(hash.value(), ScryptParams{}));
  EXPECT_TRUE(NeedsRehash("garbage", ScryptParams{4, 8, 1}));
}

}  // namespace
}  // namespace reg
