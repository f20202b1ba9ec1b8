// Text from outside made safe where it is shown: in an HTML page or mail,
// or on an operator's terminal (an SMTP server's reply, an address). Pure
// functions; thread-safe.
#ifndef FCGI_BASE_ESCAPE_H_
#define FCGI_BASE_ESCAPE_H_

#include <string>
#include <string_view>

namespace reg {

// "s" with every control character (bytes 0x00-0x1F and 0x7F, and the C1
// controls U+0080-U+009F in UTF-8) and every backslash written as an
// escape: \n, \r, \t, \\, else \xNN per byte. A terminal shown the result
// never moves its cursor, changes colour or title, or runs anything.
std::string EscapeControls(std::string_view s);

// "s" with & < > " ' replaced by character references, safe both in text
// and in a quoted attribute value.
std::string HtmlEscape(std::string_view s);

}  // namespace reg

#endif  // FCGI_BASE_ESCAPE_H_
