#include "http/form.h"

#include <gtest/gtest.h>

#include <string>

#include "base/encoding.h"

namespace reg {
namespace {

// "n" copies of "unit".
std::string Repeat(std::string_view unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

TEST(TrimSpace, StripsAsciiWhitespaceAtBothEnds) {
  EXPECT_EQ(TrimSpace(" \t\n\r\f\va b\v\f\r\n\t "), "a b");
  EXPECT_EQ(TrimSpace("   "), "");
  EXPECT_EQ(TrimSpace("\xC2\xA0x"), "\xC2\xA0x");  // U+00A0 is not ASCII
}

TEST(ParseUrlEncoded, DecodesPlusAndPercentEscapes) {
  Result<Fields> r =
      ParseUrlEncoded("a=b+c&k=%41%e2%82%ac%E2%82%AC&&flag&=v&e=");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Fields& f = r.value();
  EXPECT_EQ(f.at("a"), "b c");
  EXPECT_EQ(f.at("k"), "A\xE2\x82\xAC\xE2\x82\xAC");
  EXPECT_EQ(f.at("flag"), "");
  EXPECT_EQ(f.at(""), "v");
  EXPECT_EQ(f.at("e"), "");
  EXPECT_EQ(f.size(), 5u);
}

TEST(ParseUrlEncoded, DecodesEscapedKeysAndAnEqualsSignInAValue) {
  Result<Fields> r = ParseUrlEncoded("e%6Dail=a%40b.c&x=1=2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().at("email"), "a@b.c");
  EXPECT_EQ(r.value().at("x"), "1=2");
}

TEST(ParseUrlEncoded, AcceptsAnEmptyBody) {
  Result<Fields> r = ParseUrlEncoded("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().empty());
}

TEST(ParseUrlEncoded, RejectsBadPercentEncoding) {
  for (const char* body : {"a=%4", "a=%zz", "a=%", "a=%g1", "%4=x", "a=b%"}) {
    Result<Fields> r = ParseUrlEncoded(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    EXPECT_EQ(r.status().message(), "bad percent-encoding");
  }
}

TEST(ParseUrlEncoded, RejectsADuplicateKey) {
  Result<Fields> r = ParseUrlEncoded("email=a&password=x&email=b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_EQ(r.status().message(), "duplicate field");
}

TEST(ParseUrlEncoded, RejectsDecodedBytesThatAreNotUtf8) {
  for (const char* body : {"a=%ff", "%ff=a", "a=%C0%80", "a=%ED%A0%80"}) {
    Result<Fields> r = ParseUrlEncoded(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    EXPECT_EQ(r.status().message(), "not UTF-8");
  }
  EXPECT_FALSE(ParseUrlEncoded("a=\xFF").ok());  // raw, not escaped
}

TEST(ParseUrlEncoded, AcceptsThirtyTwoFieldsButNotThirtyThree) {
  std::string body;
  for (int i = 0; i < 32; ++i) body += "k" + std::to_string(i) + "=v&";
  EXPECT_TRUE(ParseUrlEncoded(body).ok());
  Result<Fields> r = ParseUrlEncoded(body + "k32=v");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
}

TEST(BodyKindFor, AcceptsFormAndJsonWithUtf8Parameters) {
  struct {
    const char* header;
    BodyKind kind;
  } cases[] = {
      {"application/x-www-form-urlencoded", BodyKind::kForm},
      {"Application/X-WWW-Form-URLEncoded", BodyKind::kForm},
      {"application/x-www-form-urlencoded;charset=UTF-8", BodyKind::kForm},
      {"application/json", BodyKind::kJson},
      {"APPLICATION/JSON", BodyKind::kJson},
      {"application/json; charset=utf-8", BodyKind::kJson},
      {"application/json; charset=\"UTF-8\"", BodyKind::kJson},
      {" application/json ; Charset = utf-8 ;", BodyKind::kJson},
  };
  for (const auto& c : cases) {
    Result<BodyKind> r = BodyKindFor(c.header);
    ASSERT_TRUE(r.ok()) << c.header;
    EXPECT_EQ(r.value(), c.kind) << c.header;
  }
}

TEST(BodyKindFor, RejectsOtherTypesAndCharsetsAsUnsupportedMedia) {
  for (const char* header :
       {"", "text/plain", "multipart/form-data; boundary=x", "text/html",
        "application/jsonx", "application/json; charset=latin1",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/json; charset=\"utf-16\"", "application/json; charset",
        "application/json-patch+json"}) {
    Result<BodyKind> r = BodyKindFor(header);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.status().code(), Code::kUnsupportedMedia) << header;
  }
}

TEST(ParseBody, FormDelegatesToParseUrlEncoded) {
  Result<Fields> r = ParseBody(BodyKind::kForm, "token=abc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().at("token"), "abc");
}

TEST(ParseBody, JsonObjectCopiesStringMembersAndIgnoresOthers) {
  Result<Fields> r = ParseBody(
      BodyKind::kJson,
      R"({"email":"a@b.c","password":"p\u00e9 ss","extra":1,"n":null})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().at("email"), "a@b.c");
  EXPECT_EQ(r.value().at("password"), "p\xC3\xA9 ss");
  EXPECT_EQ(r.value().size(), 2u);
}

TEST(ParseBody, JsonRootThatIsNotAnObjectIsMalformed) {
  for (const char* body : {"[]", R"(["a"])", "\"email\"", "1", "null"}) {
    Result<Fields> r = ParseBody(BodyKind::kJson, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kMalformed);
  }
}

TEST(ParseBody, BadOrEmptyJsonIsMalformed) {
  for (const char* body : {"", "{", R"({"email":})", "{'a':'b'}",
                           R"({"a":"b"} x)", R"({"a":"\ud800"})"}) {
    Result<Fields> r = ParseBody(BodyKind::kJson, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kMalformed);
  }
}

TEST(ParseBody, JsonEmailPasswordOrTokenThatIsNotAStringIsMalformed) {
  Result<Fields> r = ParseBody(BodyKind::kJson, R"({"email":42})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_EQ(r.status().message(), "email must be a string");
  EXPECT_FALSE(ParseBody(BodyKind::kJson, R"({"password":["x"]})").ok());
  EXPECT_FALSE(ParseBody(BodyKind::kJson, R"({"token":{}})").ok());
  // A code is a string: 042917 as a number would lose its 0.
  Result<Fields> code =
      ParseBody(BodyKind::kJson, R"({"receipt":"R","code":42917})");
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().message(), "code must be a string");
  EXPECT_FALSE(ParseBody(BodyKind::kJson, R"({"receipt":7,"code":"1"})").ok());
}

TEST(ParseBody, JsonWithInvalidUtf8IsMalformed) {
  Result<Fields> r = ParseBody(BodyKind::kJson, "{\"email\":\"a\xFF@b.c\"}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_FALSE(ParseBody(BodyKind::kJson, "{\"e\xC0\x80\":\"x\"}").ok());
}

TEST(EmailRules, AcceptsOrdinaryAddresses) {
  EXPECT_EQ(EmailError("name@example.com"), "");
  EXPECT_EQ(EmailError("First.Last+tag@sub.Example-1.co.uk"), "");
  EXPECT_EQ(EmailError("j\xC3\xBCrgen@example.de"), "");  // jürgen
}

TEST(EmailRules, EmptyAsksForAnAddress) {
  EXPECT_EQ(EmailError(""), "field.email_empty");
}

TEST(EmailRules, RejectsFewerThanThreeCharacters) {
  // No 3-character address has a dotted domain, so the shortest valid one
  // has five; below three the length rule answers first.
  const std::string format = "field.email_format";
  EXPECT_EQ(EmailError("a"), format);
  EXPECT_EQ(EmailError("a@"), format);
  EXPECT_EQ(EmailError("a@b"), format);  // 3: fails on the domain only
  EXPECT_EQ(EmailError("a@b.c"), "");
}

TEST(EmailRules, AcceptsTwoHundredFiftyFourCharactersButNot255) {
  // 254 = local 64 + '@' + a domain of 189 (labels of at most 63).
  const std::string local = Repeat("a", 64);
  const std::string domain189 =
      Repeat("b", 63) + "." + Repeat("c", 63) + "." + Repeat("d", 61);
  ASSERT_EQ(domain189.size(), 189u);
  EXPECT_EQ(EmailError(local + "@" + domain189), "");
  EXPECT_EQ(EmailError(local + "@" + domain189 + "e"), "field.email_too_long");
}

TEST(EmailRules, CountsCodePointsNotBytes) {
  // 64 two-byte characters in the local part: 128 bytes, 64 characters.
  EXPECT_EQ(EmailError(Repeat("\xC3\xA9", 64) + "@x.com"), "");
  EXPECT_NE(EmailError(Repeat("\xC3\xA9", 65) + "@x.com"), "");
}

TEST(EmailRules, RefusesInvisibleAndDirectionChangingCharacters) {
  const std::string message = "field.email_invisible";
  // Each as UTF-8 inside the local part: soft hyphen, zero-width space,
  // zero-width joiner, left-to-right and right-to-left marks, an embedding,
  // the right-to-left override, word joiner, invisible plus, isolates, BOM,
  // Arabic letter mark, a tag character.
  for (const char* cf :
       {"\xC2\xAD", "\xE2\x80\x8B", "\xE2\x80\x8D", "\xE2\x80\x8E",
        "\xE2\x80\x8F", "\xE2\x80\xAA", "\xE2\x80\xAE", "\xE2\x81\xA0",
        "\xE2\x81\xA4", "\xE2\x81\xA6", "\xE2\x81\xA9", "\xEF\xBB\xBF",
        "\xD8\x9C", "\xF3\xA0\x80\x81"}) {
    EXPECT_EQ(EmailError(std::string("ad") + cf + "min@example.com"), message)
        << "the bytes of " << ::testing::PrintToString(std::string(cf));
  }
  // Visible non-ASCII letters stay allowed; the neighbours of the ranges too.
  EXPECT_EQ(EmailError("\xE2\x80\x90x@example.com"), "");  // U+2010 hyphen
  EXPECT_EQ(EmailError("x\xE2\x81\xB0@example.com"), "");  // U+2070
}

TEST(MailboxKey, IgnoresLetterCaseAndAPlusTag) {
  EXPECT_EQ(MailboxKey("ann@example.com"), "ann@example.com");
  EXPECT_EQ(MailboxKey("Ann@Example.COM"), "ann@example.com");
  EXPECT_EQ(MailboxKey("ann+news@example.com"), "ann@example.com");
  EXPECT_EQ(MailboxKey("ANN+a+b@EXAMPLE.com"), "ann@example.com");
  EXPECT_EQ(MailboxKey("+@example.com"), "+@example.com");  // no tag: kept
  EXPECT_NE(MailboxKey("ann.b@example.com"), "ann@example.com");
  EXPECT_EQ(MailboxKey("ann@ex+ample.com"), "ann@ex+ample.com");
}

TEST(MailboxKey, FoldsTheAliasesTheBigProvidersDocument) {
  // Gmail: dots do not count, googlemail.com is gmail.com, +tag.
  EXPECT_EQ(MailboxKey("A.n.N@gmail.com"), "ann@gmail.com");
  EXPECT_EQ(MailboxKey("a.nn+x.y@GoogleMail.com"), "ann@gmail.com");
  EXPECT_EQ(MailboxKey("ann@googlemail.com"), "ann@gmail.com");
  EXPECT_EQ(MailboxKey("...@gmail.com"), "...@gmail.com");  // nothing left
  // Yahoo: "basename-keyword" disposable addresses.
  EXPECT_EQ(MailboxKey("ann-shops@yahoo.com"), "ann@yahoo.com");
  EXPECT_EQ(MailboxKey("-x@yahoo.com"), "-x@yahoo.com");  // no basename
  // Outlook.com and everyone else: +tag only; dots and '-' count.
  EXPECT_EQ(MailboxKey("ann+x@outlook.com"), "ann@outlook.com");
  EXPECT_EQ(MailboxKey("a.nn@outlook.com"), "a.nn@outlook.com");
  EXPECT_EQ(MailboxKey("ann-x@hotmail.com"), "ann-x@hotmail.com");
  EXPECT_EQ(MailboxKey("a.nn@example.com"), "a.nn@example.com");
  // Not the provider: a look-alike domain is left as it is.
  EXPECT_EQ(MailboxKey("a.nn@gmail.com.example"), "a.nn@gmail.com.example");
}

TEST(EmailRules, AcceptsLocalPartOf64ButNot65) {
  EXPECT_EQ(EmailError(Repeat("a", 64) + "@example.com"), "");
  EXPECT_NE(EmailError(Repeat("a", 65) + "@example.com"), "");
  EXPECT_NE(EmailError("@example.com"), "");
}

TEST(EmailRules, RejectsTwoAtSignsOrNone) {
  EXPECT_NE(EmailError("a@b@example.com"), "");
  EXPECT_NE(EmailError("a@@example.com"), "");
  EXPECT_NE(EmailError("example.com"), "");
}

TEST(EmailRules, RejectsADomainWithoutADot) {
  EXPECT_NE(EmailError("name@localhost"), "");
  EXPECT_EQ(EmailError("name@local.host"), "");
}

TEST(EmailRules, RejectsEmptyLabels) {
  EXPECT_NE(EmailError("name@.example.com"), "");
  EXPECT_NE(EmailError("name@example..com"), "");
  EXPECT_NE(EmailError("name@example.com."), "");
  EXPECT_NE(EmailError("name@"), "");
}

TEST(EmailRules, RejectsALabelWithAnUnderscoreOrNonAsciiLetter) {
  EXPECT_NE(EmailError("name@my_host.com"), "");
  EXPECT_EQ(EmailError("name@my-host.com"), "");
  EXPECT_NE(EmailError("name@b\xC3\xBC"
                       "cher.de"),
            "");
}

TEST(EmailRules, RejectsALabelStartingOrEndingWithAHyphen) {
  EXPECT_NE(EmailError("name@-example.com"), "");
  EXPECT_NE(EmailError("name@example-.com"), "");
  EXPECT_NE(EmailError("name@example.-com"), "");
  EXPECT_EQ(EmailError("name@ex--ample.com"), "");
}

TEST(EmailRules, AcceptsALabelOf63ButNot64) {
  EXPECT_EQ(EmailError("a@" + Repeat("b", 63) + ".com"), "");
  EXPECT_NE(EmailError("a@" + Repeat("b", 64) + ".com"), "");
}

TEST(EmailRules, RejectsWhitespaceAndControlCharacters) {
  for (const std::string& bad :
       {std::string("na me@example.com"), std::string("name@exa mple.com"),
        std::string("name\t@example.com"), std::string("na\nme@example.com"),
        std::string("name\0@example.com", 17), std::string("na\x7Fme@x.com"),
        std::string("na\xC2\xA0me@example.com"),         // U+00A0
        std::string("na\xC2\x85me@example.com"),         // U+0085
        std::string("na\xC2\x9Fme@example.com"),         // C1 control
        std::string("na\xE1\x9A\x80me@example.com"),     // U+1680
        std::string("na\xE2\x80\x80me@example.com"),     // U+2000
        std::string("na\xE2\x80\x8Ame@example.com"),     // U+200A
        std::string("na\xE2\x80\xA8me@example.com"),     // U+2028
        std::string("na\xE2\x80\xA9me@example.com"),     // U+2029
        std::string("na\xE2\x80\xAFme@example.com"),     // U+202F
        std::string("na\xE2\x81\x9Fme@example.com"),     // U+205F
        std::string("na\xE3\x80\x80me@example.com")}) {  // U+3000
    EXPECT_NE(EmailError(bad), "") << bad;
  }
  // Neighbours of the forbidden ranges are fine in the local part.
  EXPECT_EQ(EmailError("na\xC2\xA1me@example.com"), "");      // U+00A1
  EXPECT_EQ(EmailError("na\xE2\x80\x90me@example.com"), "");  // U+2010
}

TEST(EmailRules, RejectsInvalidUtf8) {
  EXPECT_NE(EmailError("na\xFFme@example.com"), "");
  EXPECT_NE(EmailError("na\xC0\xAEme@example.com"), "");
}

TEST(EmailRules, NormalizeLowercasesAsciiOnly) {
  EXPECT_EQ(NormalizeEmail("Name@EXAMPLE.Com"), "name@example.com");
  EXPECT_EQ(NormalizeEmail("\xC3\x89mile@X.fr"), "\xC3\x89mile@x.fr");
}

TEST(PasswordRules, AcceptsEightToTwoHundredFiftySixCodePoints) {
  EXPECT_EQ(PasswordError(Repeat("\xC3\xA9", 7)), "field.password_too_short");
  EXPECT_EQ(PasswordError(Repeat("\xC3\xA9", 8)), "");
  EXPECT_EQ(PasswordError(Repeat("\xF0\x9F\x98\x80", 256)), "");
  EXPECT_EQ(PasswordError(Repeat("\xF0\x9F\x98\x80", 257)),
            "field.password_too_long");
  EXPECT_EQ(PasswordError(Repeat("x", 7)), "field.password_too_short");
  EXPECT_EQ(PasswordError(""), "field.password_too_short");
}

TEST(PasswordRules, AllowsSpacesAndAnyCharacter) {
  EXPECT_EQ(PasswordError("        "), "");
  EXPECT_EQ(PasswordError(" correct horse battery staple "), "");
  EXPECT_EQ(PasswordError("tab\there\"'<>&"), "");
}

TEST(PasswordRules, RejectsInvalidUtf8) {
  EXPECT_EQ(PasswordError("password\xFF"), "field.password_not_text");
  EXPECT_EQ(PasswordError("\xED\xA0\x80\xED\xB0\x80xxxxxx"),
            "field.password_not_text");
}

}  // namespace
}  // namespace reg
