#include "crypto/token.h"

#include <gtest/gtest.h>

#include <string>

#include "base/encoding.h"

namespace reg {
namespace {

// True when every character of "s" is in "set". (No std::regex: g++ 12
// warns inside it under -O1 -fsanitize, and the build uses -Werror.)
bool AllIn(std::string_view s, std::string_view set) {
  return s.find_first_not_of(set) == std::string_view::npos;
}

// Bytes 0, 7, 14, ... so every length covers many bit patterns.
std::string Pattern(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i * 7 + 251));
  return s;
}

TEST(Base64Url, RoundTripsEveryLengthFrom0To40) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string bytes = Pattern(n);
    std::string text = Base64UrlEncode(bytes);
    EXPECT_EQ(text.size(), (n * 4 + 2) / 3) << n;
    std::optional<std::string> back = Base64UrlDecode(text);
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
}

TEST(Base64Url, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes);
}

TEST(Base64Url, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlDecode("Zm9vYmE"), "fooba");
}

TEST(Base64Url, UsesDashAndUnderscore) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(Base64Url, StrictDecodeRejectsPadding) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("Zm8="));
  EXPECT_FALSE(Base64UrlDecode("Zg="));
}

TEST(Base64Url, StrictDecodeRejectsStandardAlphabetAndJunk) {
  EXPECT_FALSE(Base64UrlDecode("+_8"));
  EXPECT_FALSE(Base64UrlDecode("-/8"));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n"));
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4)));
}

TEST(Base64Url, StrictDecodeRejectsImpossibleLengths) {
  EXPECT_FALSE(Base64UrlDecode("Z"));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
}

TEST(Base64Url, StrictDecodeRejectsNonZeroTrailingBits) {
  EXPECT_TRUE(Base64UrlDecode("Zg"));
  EXPECT_FALSE(Base64UrlDecode("Zh"));  // "f" with a stray low bit
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
  EXPECT_FALSE(Base64UrlDecode("Zm9"));  // "fo" with a stray low bit
}

TEST(Base64, MatchesRfc4648VectorsWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, LeavesPaddingOffWhenAsked) {
  EXPECT_EQ(Base64Encode("f", false), "Zg");
  EXPECT_EQ(Base64Encode("fo", false), "Zm8");
  EXPECT_EQ(Base64Encode("foobar", false), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xfb\xff", false), "+/8");
}

TEST(Base64, DecodeRoundTripsBothForms) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string bytes = Pattern(n);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
    EXPECT_EQ(Base64Decode(Base64Encode(bytes, false), false), bytes) << n;
  }
}

TEST(Base64, DecodeIsStrictAboutPadding) {
  EXPECT_FALSE(Base64Decode("Zg"));  // padding required
  EXPECT_FALSE(Base64Decode("Zg==", false));
  EXPECT_FALSE(Base64Decode("Zg="));
  EXPECT_FALSE(Base64Decode("Z==="));
  EXPECT_FALSE(Base64Decode("===="));
  EXPECT_FALSE(Base64Decode("Zm8=Zm8="));
  EXPECT_FALSE(Base64Decode("Zh=="));  // non-zero trailing bits
  EXPECT_FALSE(Base64Decode("-_8=", true));
}

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

TEST(Sha256, MatchesFips180Vector) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RandomBytes, FillsTheBuffer) {
  unsigned char a[64] = {};
  unsigned char b[64] = {};
  ASSERT_TRUE(RandomBytes(a, sizeof a).ok());
  ASSERT_TRUE(RandomBytes(b, sizeof b).ok());
  EXPECT_NE(std::string(a, a + 64), std::string(b, b + 64));
  EXPECT_TRUE(RandomBytes(nullptr, 0).ok());
}

TEST(NewToken, Is43Base64UrlCharactersAndFresh) {
  Result<std::string> a = NewToken();
  Result<std::string> b = NewToken();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a.value().size(), 43u);
  EXPECT_TRUE(AllIn(
      a.value(),
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"));
  EXPECT_NE(a.value(), b.value());
  EXPECT_TRUE(LooksLikeToken(a.value()));
  std::optional<std::string> raw = Base64UrlDecode(a.value());
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 32u);
}

TEST(LooksLikeToken, AcceptsOnly43To128UrlSafeCharacters) {
  EXPECT_FALSE(LooksLikeToken(""));
  EXPECT_FALSE(LooksLikeToken(std::string(42, 'a')));
  EXPECT_TRUE(LooksLikeToken(std::string(43, 'a')));
  EXPECT_TRUE(LooksLikeToken(std::string(128, '_')));
  EXPECT_FALSE(LooksLikeToken(std::string(129, 'a')));
  EXPECT_TRUE(LooksLikeToken(std::string(40, 'Z') + "-9_"));
  EXPECT_FALSE(LooksLikeToken(std::string(42, 'a') + "="));
  EXPECT_FALSE(LooksLikeToken(std::string(42, 'a') + "+"));
  EXPECT_FALSE(LooksLikeToken(std::string(42, 'a') + "/"));
  EXPECT_FALSE(LooksLikeToken(std::string(42, 'a') + "%"));
}

TEST(TokenHash, IsLowercaseHexSha256OfTheText) {
  EXPECT_EQ(TokenHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenHash("abd").size(), 64u);
  EXPECT_NE(TokenHash("abc"), TokenHash("abd"));
}

}  // namespace
}  // namespace reg
