// The mail as bytes (RFC 5322 + MIME), built by hand so that the exact
// bytes can be stored once and re-sent identically. All functions are pure
// and thread-safe.
#ifndef FCGI_MAIL_MIME_H_
#define FCGI_MAIL_MIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace reg {

// "utf8" unchanged when it is printable ASCII without "=?"; otherwise RFC
// 2047 encoded-words "=?UTF-8?B?...?=" joined by "\r\n " (folding). Each
// word is at most 60 characters (so "Subject: " plus a word fits in 76) and
// never splits a UTF-8 sequence.
std::string EncodeHeaderText(std::string_view utf8);

// "Thu, 01 Jan 1970 00:00:00 +0000": RFC 5322 date-time in UTC. The day
// and month names are strftime's in the "C" locale, English: nothing in
// the program calls setlocale.
std::string Rfc5322Date(std::int64_t unix_s);

// "address" as it must be written in a header or an SMTP command: a local
// part that is not a dot-atom ("a<b", "x,y") becomes a quoted-string
// ("\"a<b\"@example.com"); anything else is unchanged.
std::string QuoteAddress(std::string_view address);

// The From header's value: "address" (as QuoteAddress writes it) alone when
// "name" is empty; else the name as a phrase (as it is, a quoted-string
// when it holds specials, RFC 2047 encoded-words when EncodeHeaderText
// encodes it) and "<address>".
std::string FormatMailbox(std::string_view name, std::string_view address);

// What a mail says. "from" and "to" are bare addresses; "text" and "html"
// are UTF-8, lines ending in "\n" (or "\r\n").
struct MailParts {
  std::string from;
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
  std::string from_name;  // display name in From, UTF-8 ("" for none)
  std::string language;   // Content-Language ("de"; "" for none)
};

struct RenderedMail {
  // "<unique@domain-of-from>", as in the Message-ID header.
  std::string message_id;
  // The whole message, CRLF line ends, ready for SMTP DATA.
  std::string bytes;
};

// Renders "parts" as multipart/alternative (text/plain, then text/html,
// both charset=utf-8, 7bit when ASCII else 8bit), dated "unix_s", marked
// as a machine's (Auto-Submitted: auto-generated, X-Auto-Response-Suppress:
// All), with Content-Language when "language" is set.
// "unique" (16 to 64 of [A-Za-z0-9_-], random) makes the Message-ID and
// the boundary "=_reg_<unique>".
// Returns InvalidArgument when from/to/subject/from_name hold a control
// character, "language" is not a language tag (letters, digits and "-"),
// from/to are not one address (exactly one '@' with text on both sides, no
// whitespace; specials only in the local part, which QuoteAddress quotes),
// "unique" is malformed, a body is not UTF-8, holds NUL or a bare CR, or
// any line, header or body, would be over 998 octets.
Result<RenderedMail> RenderMail(const MailParts& parts, std::int64_t unix_s,
                                std::string_view unique);

}  // namespace reg

#endif  // FCGI_MAIL_MIME_H_
