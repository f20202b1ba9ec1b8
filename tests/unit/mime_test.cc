#include "mail/mime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/escape.h"
#include "base/utf8.h"
#include "mail/mail_templates.h"
#include "testutil.h"

namespace reg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUnique[] = "Abc123_-xyz456789";
constexpr char kLink[] =
    "http://127.0.0.1:8080/activate?token="
    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg";
constexpr char kMailCode[] = "042917";

std::string DecodeBase64Part(std::string_view in) {
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<std::uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Decodes a run of "=?UTF-8?B?...?=" words separated by folding whitespace,
// checking each word's shape and length on the way.
std::string DecodeEncodedWords(const std::string& header) {
  std::string out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    if (pos > 0) {
      EXPECT_EQ(header.compare(pos, 3, "\r\n "), 0) << header;
      pos += 3;
    }
    EXPECT_EQ(header.compare(pos, 10, "=?UTF-8?B?"), 0) << header;
    const std::size_t end = header.find("?=", pos + 10);
    EXPECT_NE(end, std::string::npos);
    if (end == std::string::npos) return out;
    EXPECT_LE(end + 2 - pos, 75u);
    const std::string part =
        DecodeBase64Part(header.substr(pos + 10, end - pos - 10));
    EXPECT_TRUE(IsValidUtf8(part)) << "a word splits a UTF-8 sequence";
    out += part;
    pos = end + 2;
  }
  return out;
}

// A text part with its line breaks made spaces (it is wrapped at 72).
std::string Unwrapped(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

MailParts VerificationParts() {
  MailText text = VerificationMail(English(), kLink, kMailCode, 24, 1700000000);
  return {"no-reply@example.org",
          "J\xC3\xBCrgen@example.com",
          text.subject,
          text.text,
          text.html,
          "",
          text.language};
}

TEST(EncodeHeaderText, LeavesPlainAsciiUnchanged) {
  EXPECT_EQ(EncodeHeaderText("Confirm your email address"),
            "Confirm your email address");
  EXPECT_EQ(EncodeHeaderText(""), "");
}

TEST(EncodeHeaderText, EncodesAsciiThatLooksLikeAnEncodedWordOrHasControls) {
  EXPECT_EQ(DecodeEncodedWords(EncodeHeaderText("a =?x?= b")), "a =?x?= b");
  EXPECT_EQ(DecodeEncodedWords(EncodeHeaderText("a\tb")), "a\tb");
}

TEST(EncodeHeaderText, RoundTripsANonAsciiSubject) {
  const std::string subject =
      "Best\xC3\xA4tigen Sie Ihre E-Mail-Adresse \xE2\x80\x93 "
      "\xE7\xA2\xBA\xE8\xAA\x8D\xE3\x81\x97\xE3\x81\xA6\xE3\x81\x8F\xE3\x81"
      "\xA0\xE3\x81\x95\xE3\x81\x84 \xF0\x9F\x93\xA7\xF0\x9F\x93\xA7";
  const std::string encoded = EncodeHeaderText(subject);
  EXPECT_NE(encoded, subject);
  EXPECT_THAT(encoded, HasSubstr("\r\n "));  // long enough to fold
  for (char c : encoded) {
    EXPECT_TRUE(c == '\r' || c == '\n' || (c >= 0x20 && c <= 0x7E));
  }
  EXPECT_EQ(DecodeEncodedWords(encoded), subject);
  // Every line fits in 76 characters after "Subject: ".
  const std::string header = "Subject: " + encoded;
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t end = header.find("\r\n", start);
    if (end == std::string::npos) end = header.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
}

TEST(Rfc5322Date, FormatsFixedTimestampsInUtc) {
  EXPECT_EQ(Rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(Rfc5322Date(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(Rfc5322Date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(Rfc5322Date(4102444799), "Thu, 31 Dec 2099 23:59:59 +0000");
  EXPECT_EQ(Rfc5322Date(-1), "Wed, 31 Dec 1969 23:59:59 +0000");
}

TEST(RenderMail, UsesCrlfEverywhereAndWritesEveryHeader) {
  Result<RenderedMail> r = RenderMail(VerificationParts(), 1700000000, kUnique);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string& b = r.value().bytes;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (b[i] == '\n') {
      ASSERT_TRUE(i > 0 && b[i - 1] == '\r') << "bare LF at " << i;
    } else if (b[i] == '\r') {
      ASSERT_TRUE(i + 1 < b.size() && b[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  EXPECT_EQ(r.value().message_id, "<Abc123_-xyz456789@example.org>");
  const std::string headers = b.substr(0, b.find("\r\n\r\n") + 2);
  EXPECT_EQ(headers,
            "From: no-reply@example.org\r\n"
            "To: J\xC3\xBCrgen@example.com\r\n"
            "Subject: Confirm your email address\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            "Message-ID: <Abc123_-xyz456789@example.org>\r\n"
            "Content-Language: en\r\n"
            "MIME-Version: 1.0\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "X-Auto-Response-Suppress: All\r\n"
            "Content-Type: multipart/alternative; "
            "boundary=\"=_reg_Abc123_-xyz456789\"\r\n");
  EXPECT_EQ(b.substr(b.size() - 29), "--=_reg_Abc123_-xyz456789--\r\n");
}

TEST(RenderMail, HasTwoUtf8PartsEachHoldingTheLinkVerbatim) {
  Result<RenderedMail> r = RenderMail(VerificationParts(), 0, kUnique);
  ASSERT_TRUE(r.ok());
  const std::string& b = r.value().bytes;
  const std::string delimiter = "\r\n--=_reg_Abc123_-xyz456789\r\n";
  const std::size_t first = b.find(delimiter);
  const std::size_t second = b.find(delimiter, first + 1);
  const std::size_t close = b.find("\r\n--=_reg_Abc123_-xyz456789--\r\n");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(b.find(delimiter, second + 1), std::string::npos);
  const std::string text = b.substr(first, second - first);
  const std::string html = b.substr(second, close - second);
  EXPECT_THAT(text, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: 7bit\r\n\r\n"));
  EXPECT_THAT(html, HasSubstr("Content-Type: text/html; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: 7bit\r\n\r\n"));
  EXPECT_THAT(text, HasSubstr(std::string("\r\n") + kLink + "\r\n"));
  EXPECT_THAT(text, HasSubstr("24 hours"));
  EXPECT_THAT(html, HasSubstr(std::string("<a href=\"") + kLink + "\""));
  EXPECT_THAT(html, HasSubstr("24 hours"));
}

TEST(RenderMail, MarksANonAsciiPart8bitAndEncodesANonAsciiSubject) {
  MailParts parts = VerificationParts();
  parts.subject = "Best\xC3\xA4tigen";
  parts.text =
      "Gr\xC3\xBC\xC3\x9F"
      "e\n";
  Result<RenderedMail> r = RenderMail(parts, 0, kUnique);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.value().bytes,
              HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n\r\n"
                        "Gr\xC3\xBC\xC3\x9F"
                        "e\r\n--"));
  EXPECT_THAT(r.value().bytes, HasSubstr("Subject: =?UTF-8?B?"));
}

TEST(FormatMailbox, WritesTheDisplayNameAsAnAtomQuotedOrEncoded) {
  EXPECT_EQ(FormatMailbox("", "a@example.com"), "a@example.com");
  EXPECT_EQ(FormatMailbox("Example Shop", "a@example.com"),
            "Example Shop <a@example.com>");
  EXPECT_EQ(FormatMailbox("Example, Inc.", "a@example.com"),
            "\"Example, Inc.\" <a@example.com>");
  EXPECT_EQ(FormatMailbox("Say \"hi\" \\o/", "a@example.com"),
            "\"Say \\\"hi\\\" \\\\o/\" <a@example.com>");
  const std::string encoded =
      FormatMailbox("B\xC3\xBCro M\xC3\xBCller", "a@example.com");
  EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u) << encoded;
  EXPECT_EQ(encoded.substr(encoded.size() - 18), "?= <a@example.com>");
  EXPECT_EQ(DecodeEncodedWords(encoded.substr(0, encoded.find(" <"))),
            "B\xC3\xBCro M\xC3\xBCller");
}

TEST(RenderMail, PutsTheDisplayNameInFromAndTheDomainInMessageId) {
  MailParts parts = VerificationParts();
  parts.from_name = "Caf\xC3\xA9 Example";
  Result<RenderedMail> r = RenderMail(parts, 1700000000, kUnique);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string from =
      "From: " + FormatMailbox(parts.from_name, parts.from);
  EXPECT_EQ(r.value().bytes.rfind(from + "\r\n", 0), 0u) << r.value().bytes;
  EXPECT_EQ(r.value().message_id, "<Abc123_-xyz456789@example.org>");
  parts.from_name = "Evil\r\nBcc: x@example.com";
  EXPECT_FALSE(RenderMail(parts, 1700000000, kUnique).ok());
}

TEST(QuoteAddress, QuotesALocalPartThatIsNotADotAtom) {
  EXPECT_EQ(QuoteAddress("ada.lovelace+tag@example.com"),
            "ada.lovelace+tag@example.com");
  EXPECT_EQ(QuoteAddress("jos\xc3\xa9@example.com"), "jos\xc3\xa9@example.com");
  EXPECT_EQ(QuoteAddress("a<b@example.com"), "\"a<b\"@example.com");
  EXPECT_EQ(QuoteAddress("a,b;c@example.com"), "\"a,b;c\"@example.com");
  EXPECT_EQ(QuoteAddress("a\"b\\c@example.com"), "\"a\\\"b\\\\c\"@example.com");
  EXPECT_EQ(QuoteAddress(".a@example.com"), "\".a\"@example.com");
  EXPECT_EQ(QuoteAddress("a..b@example.com"), "\"a..b\"@example.com");
}

TEST(RenderMail, WritesASpecialLocalPartQuotedInTheToHeader) {
  MailParts parts = VerificationParts();
  parts.to = "a<b>,c@example.com";
  Result<RenderedMail> r = RenderMail(parts, 0, kUnique);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r.value().bytes.find("\r\nTo: \"a<b>,c\"@example.com\r\n"),
            std::string::npos);
}

// Found by mime_fuzz (tests/fuzz/crashes/mime_fuzz-*-line-over-998).
TEST(RenderMail, RejectsAHeaderLineOver998Octets) {
  MailParts parts = VerificationParts();
  parts.subject = std::string(1000, 's');
  EXPECT_EQ(RenderMail(parts, 0, kUnique).status().code(),
            Code::kInvalidArgument);
  parts = VerificationParts();
  parts.to = std::string(1000, 'x') + "@example.com";
  EXPECT_EQ(RenderMail(parts, 0, kUnique).status().code(),
            Code::kInvalidArgument);
  parts = VerificationParts();
  parts.subject = std::string(980, 's');  // "Subject: " + 980 = 989 octets
  EXPECT_TRUE(RenderMail(parts, 0, kUnique).ok());
}

TEST(RenderMail, RejectsHeaderInjection) {
  MailParts parts = VerificationParts();
  parts.to = "a@b.c\r\nBcc: x@y.z";
  Result<RenderedMail> r = RenderMail(parts, 0, kUnique);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);

  parts = VerificationParts();
  parts.subject = "Hello\nBcc: x@y.z";
  r = RenderMail(parts, 0, kUnique);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);

  const std::string bad_addresses[] = {
      "a@b.c, x@y.z", "A <a@b.c>",
      "a@b@c.d",      "ab.c",
      "a b@c.d",      "a@b.c;",
      "@b.c",         "a@",
      "a@b.c\tx",     std::string("a@b.c\0x", 7)};
  for (const std::string& bad : bad_addresses) {
    parts = VerificationParts();
    parts.from = bad;
    EXPECT_FALSE(RenderMail(parts, 0, kUnique).ok()) << bad;
  }
}

TEST(RenderMail, RejectsAMalformedUnique) {
  EXPECT_FALSE(RenderMail(VerificationParts(), 0, "short").ok());
  EXPECT_FALSE(RenderMail(VerificationParts(), 0, "has space 0123456789").ok());
  EXPECT_FALSE(RenderMail(VerificationParts(), 0, std::string(65, 'a')).ok());
}

TEST(RenderMail, Accepts998OctetLinesButNot999) {
  MailParts parts = VerificationParts();
  parts.text = std::string(998, 'x') + "\nshort\n";
  EXPECT_TRUE(RenderMail(parts, 0, kUnique).ok());
  parts.text = std::string(999, 'x') + "\nshort\n";
  Result<RenderedMail> r = RenderMail(parts, 0, kUnique);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  parts = VerificationParts();
  parts.html = "ok\n" + std::string(999, 'y');  // last line, no newline
  EXPECT_FALSE(RenderMail(parts, 0, kUnique).ok());
}

TEST(RenderMail, RejectsABareCrInABodyButAcceptsCrlf) {
  MailParts parts = VerificationParts();
  parts.text = "line\r\nnext\n";
  EXPECT_TRUE(RenderMail(parts, 0, kUnique).ok());
  parts.text = "line\rnext\n";
  EXPECT_FALSE(RenderMail(parts, 0, kUnique).ok());
}

TEST(RenderMail, WritesLfAndCrlfBodiesAlikeAndRejectsNulAndStrayCr) {
  MailParts lf = VerificationParts();
  lf.text = "one\ntwo\n\nthree";
  MailParts crlf = VerificationParts();
  crlf.text = "one\r\ntwo\r\n\r\nthree";
  Result<RenderedMail> a = RenderMail(lf, 0, kUnique);
  Result<RenderedMail> b = RenderMail(crlf, 0, kUnique);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().bytes, b.value().bytes);
  EXPECT_NE(a.value().bytes.find("\r\n\r\none\r\ntwo\r\n\r\nthree\r\n--"),
            std::string::npos);
  MailParts bad = VerificationParts();
  for (const std::string& text :
       {std::string("a\0b\n", 4), std::string("end\r"),
        std::string("a\r\r\nb\n")}) {
    bad.text = text;
    EXPECT_FALSE(RenderMail(bad, 0, kUnique).ok()) << EscapeControls(text);
  }
}

TEST(RenderMail, IsDeterministic) {
  Result<RenderedMail> a = RenderMail(VerificationParts(), 42, kUnique);
  Result<RenderedMail> b = RenderMail(VerificationParts(), 42, kUnique);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().bytes, b.value().bytes);
}

TEST(VerificationMail, PutsTheLinkOnItsOwnLineAndEscapesItInHtml) {
  const MailText m = VerificationMail(
      English(), "https://x.test/activate?token=a&b<", kMailCode, 1, 0);
  EXPECT_EQ(m.subject, "Confirm your email address");
  EXPECT_THAT(m.text, HasSubstr("\nhttps://x.test/activate?token=a&b<\n"));
  EXPECT_THAT(m.text, HasSubstr("1 hour."));
  EXPECT_THAT(Unwrapped(m.text),
              HasSubstr("If that was not you, ignore this mail"));
  EXPECT_THAT(
      m.html,
      HasSubstr("<a href=\"https://x.test/activate?token=a&amp;b&lt;\""));
  EXPECT_THAT(m.html, Not(HasSubstr("a&b<")));
}

TEST(VerificationMail, SaysWhenTheRegistrationWasMadeAndThatItCanBeIgnored) {
  // 1700000000 is Tue, 14 Nov 2023 22:13:20 UTC.
  const MailText m =
      VerificationMail(English(), kLink, kMailCode, 24, 1700000000);
  EXPECT_THAT(Unwrapped(m.text), HasSubstr("on 14 November 2023, 22:13 UTC."));
  EXPECT_THAT(m.html, HasSubstr("on 14 November 2023, 22:13 UTC."));
  for (const std::string& part : {m.text, m.html}) {
    EXPECT_THAT(Unwrapped(part),
                HasSubstr("If that was not you, ignore this mail"));
  }
  EXPECT_THAT(
      Unwrapped(
          VerificationMail(English(), kLink, kMailCode, 24, 951782400).text),
      HasSubstr("on 29 February 2000, 00:00 UTC."));
}

TEST(VerificationMail, ShowsAButtonAndThePlainLinkBesideItStyledInline) {
  const MailText m =
      VerificationMail(English(), kLink, kMailCode, 24, 1700000000);
  // The link twice in the HTML part: the button and the plain link.
  const std::string a = std::string("<a href=\"") + kLink + "\"";
  const auto first = m.html.find(a);
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(m.html.find(a, first + 1), std::string::npos);
  EXPECT_THAT(m.html, HasSubstr(std::string(">") + kLink + "</a>"));
  EXPECT_THAT(m.html, HasSubstr("bgcolor=\"#0b57d0\""));  // the button
  // Mail clients drop <style> and block remote content: inline styles only.
  EXPECT_THAT(m.html, Not(HasSubstr("<style")));
  EXPECT_THAT(m.html, Not(HasSubstr("<script")));
  EXPECT_THAT(m.html, Not(HasSubstr("src=")));
  EXPECT_THAT(m.html, Not(HasSubstr("class=")));
  // The text part is text: no markup, lines a reader can take in.
  EXPECT_THAT(m.text, Not(HasSubstr("<")));
  std::size_t start = 0;
  for (std::size_t nl; (nl = m.text.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    const std::string line = m.text.substr(start, nl - start);
    if (line != kLink) {
      EXPECT_LE(line.size(), 72u) << line;
    }
  }
}

TEST(AccountExistsMail, SaysTheAccountExistsAndHoldsNoActivationLink) {
  const MailText m = AccountExistsMail(English(), "http://127.0.0.1:8080");
  EXPECT_EQ(m.subject, "You already have an account");
  EXPECT_THAT(Unwrapped(m.text), HasSubstr("already has an account"));
  EXPECT_THAT(Unwrapped(m.text), HasSubstr("nothing to do"));
  EXPECT_THAT(m.text + m.html, Not(HasSubstr("activate")));
  EXPECT_THAT(m.text + m.html, Not(HasSubstr("token")));
  MailParts parts{
      "no-reply@localhost", "a@b.c", m.subject, m.text, m.html, "", "en"};
  EXPECT_TRUE(RenderMail(parts, 0, kUnique).ok());
}

// "Send it again" for an unknown address: says no account uses it, with a
// link to register in both parts, in each language; nothing activates.
TEST(NoAccountMail, SaysNoAccountUsesTheAddressWithALinkToRegister) {
  const std::string base = "http://127.0.0.1:8080";
  for (const char* tag : {"en", "de", "fr"}) {
    const MailText m = NoAccountMail(TestCatalogues().Get(tag), base);
    EXPECT_EQ(m.language, tag);
    EXPECT_THAT(m.text, HasSubstr("\n" + base + "/\n")) << tag;
    EXPECT_THAT(m.html, HasSubstr("href=\"" + base + "/\"")) << tag;
    EXPECT_THAT(m.html, HasSubstr("lang=\"" + std::string(tag) + "\""));
    EXPECT_THAT(m.text + m.html, Not(HasSubstr("activate"))) << tag;
    MailParts parts{
        "no-reply@localhost", "a@b.c", m.subject, m.text, m.html, "", tag};
    EXPECT_TRUE(RenderMail(parts, 0, kUnique).ok()) << tag;
  }
  const MailText en = NoAccountMail(English(), base);
  EXPECT_EQ(en.subject, "No account uses this address");
  EXPECT_THAT(Unwrapped(en.text), HasSubstr("no account uses this address"));
  EXPECT_EQ(NoAccountMail(TestCatalogues().Get("de"), base).subject,
            "F\xC3\xBCr diese Adresse gibt es kein Konto");
  EXPECT_EQ(NoAccountMail(TestCatalogues().Get("fr"), base).subject,
            "Aucun compte n\xE2\x80\x99utilise cette adresse");
}

TEST(VerificationMail, HasThePluralAndDateFormsOfItsLanguage) {
  // 1796025600 is Mon, 30 Nov 2026 08:00:00 UTC.
  const Messages& de = TestCatalogues().Get("de");
  const Messages& fr = TestCatalogues().Get("fr");
  const std::int64_t when = 1796025600;
  EXPECT_THAT(
      Unwrapped(VerificationMail(English(), kLink, kMailCode, 1, when).text),
      HasSubstr("works for 1 hour."));
  EXPECT_THAT(
      Unwrapped(VerificationMail(English(), kLink, kMailCode, 24, when).text),
      HasSubstr("30 November 2026, 08:00 UTC"));
  const MailText de1 = VerificationMail(de, kLink, kMailCode, 1, when);
  const MailText de24 = VerificationMail(de, kLink, kMailCode, 24, when);
  EXPECT_THAT(Unwrapped(de1.text), HasSubstr("gilt 1 Stunde lang"));
  EXPECT_THAT(Unwrapped(de24.text), HasSubstr("gilt 24 Stunden lang"));
  EXPECT_THAT(de24.html, HasSubstr("30. November 2026, 08:00 UTC"));
  EXPECT_EQ(de24.subject, "Best\xC3\xA4tigen Sie Ihre E-Mail-Adresse");
  EXPECT_EQ(de24.language, "de");
  EXPECT_THAT(de24.html, HasSubstr("<html lang=\"de\">"));
  const MailText fr1 = VerificationMail(fr, kLink, kMailCode, 1, when);
  const MailText fr24 = VerificationMail(fr, kLink, kMailCode, 24, when);
  EXPECT_THAT(Unwrapped(fr1.text), HasSubstr("valable 1 heure."));
  EXPECT_THAT(Unwrapped(fr24.text), HasSubstr("valable 24 heures."));
  EXPECT_THAT(fr24.html, HasSubstr("30 novembre 2026 \xC3\xA0 08:00 UTC"));
  EXPECT_THAT(fr24.html, HasSubstr("<html lang=\"fr\">"));
  // The link stays whole on its own line in every language, and every
  // other line of the text part holds at most 72 characters.
  for (const MailText& m : {de24, fr24}) {
    EXPECT_THAT(m.text, HasSubstr(std::string("\n") + kLink + "\n"));
    std::size_t start = 0;
    for (std::size_t nl; (nl = m.text.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      const std::string line = m.text.substr(start, nl - start);
      if (line != kLink) {
        EXPECT_LE(Utf8Length(line), 72u) << line;
      }
    }
  }
}

TEST(VerificationMail, HoldsTheCodeOnALineOfItsOwnInBothPartsInEveryLanguage) {
  for (const char* tag : {"en", "de", "fr"}) {
    const MailText m =
        VerificationMail(TestCatalogues().Get(tag), kLink, kMailCode, 24, 0);
    EXPECT_THAT(m.text, HasSubstr(std::string("\n") + kMailCode + "\n")) << tag;
    EXPECT_THAT(m.html, HasSubstr(std::string(">") + kMailCode + "</p>"))
        << tag;
  }
  // Where to type it, in the mail's language.
  EXPECT_THAT(
      Unwrapped(VerificationMail(English(), kLink, kMailCode, 24, 0).text),
      HasSubstr("type this code"));
}

TEST(RenderMail, SaysTheLanguageAndEncodesAGermanSubject) {
  const MailText m =
      VerificationMail(TestCatalogues().Get("de"), kLink, kMailCode, 24, 0);
  MailParts parts{
      "no-reply@localhost", "a@b.c", m.subject, m.text, m.html, "", m.language};
  Result<RenderedMail> mail = RenderMail(parts, 0, kUnique);
  ASSERT_OK(mail);
  const std::string& b = mail.value().bytes;
  EXPECT_THAT(b, HasSubstr("\r\nContent-Language: de\r\n"));
  EXPECT_THAT(b, HasSubstr("\r\nSubject: =?UTF-8?B?"));
}

TEST(RenderMail, RefusesALanguageThatIsNotATag) {
  MailParts parts = VerificationParts();
  parts.language = "de\r\nBcc: x@y.z";
  EXPECT_FALSE(RenderMail(parts, 0, kUnique).ok());
  parts.language = "";
  ASSERT_OK(RenderMail(parts, 0, kUnique));
  EXPECT_THAT(RenderMail(parts, 0, kUnique).value().bytes,
              Not(HasSubstr("Content-Language")));
}

}  // namespace
}  // namespace reg
