#include "base/escape.h"

#include <gtest/gtest.h>

namespace reg {
namespace {

TEST(EscapeControls, LeavesPrintableTextAndUtf8Alone) {
  EXPECT_EQ(EscapeControls("550 5.1.1 no such user"), "550 5.1.1 no such user");
  EXPECT_EQ(EscapeControls("j\xC3\xBCrgen@example.de"),
            "j\xC3\xBCrgen@example.de");
  EXPECT_EQ(EscapeControls(""), "");
}

TEST(EscapeControls, EscapesEveryControlCharacterAndTheBackslash) {
  EXPECT_EQ(EscapeControls("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(EscapeControls("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
  EXPECT_EQ(EscapeControls("x\r\ny\tz"), "x\\r\\ny\\tz");
  EXPECT_EQ(EscapeControls(std::string("\0\x7f", 2)), "\\x00\\x7f");
  EXPECT_EQ(EscapeControls("a\\x1b"), "a\\\\x1b");  // no forged escapes
  // C1 controls in UTF-8: U+009B (CSI) and U+0085 (NEL).
  EXPECT_EQ(EscapeControls("\xC2\x9B"
                           "31m \xC2\x85"),
            "\\xc2\\x9b31m \\xc2\\x85");
  EXPECT_EQ(EscapeControls("\xC2\xA0"), "\xC2\xA0");  // U+00A0 is printable
}

TEST(HtmlEscape, EscapesAllFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
  EXPECT_EQ(HtmlEscape("a&amp;b"), "a&amp;amp;b");
  EXPECT_EQ(HtmlEscape("plain \xC3\xA9 text"), "plain \xC3\xA9 text");
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("1 < 2 & it's \"so\">"),
            "1 &lt; 2 &amp; it&#39;s &quot;so&quot;&gt;");
  EXPECT_EQ(HtmlEscape("no special"), "no special");
}

}  // namespace
}  // namespace reg
