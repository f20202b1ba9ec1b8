// Outside bytes to fields: url-encoded and JSON bodies, the field rules.
// Every function here is pure and thread-safe.
#ifndef FCGI_HTTP_FORM_H_
#define FCGI_HTTP_FORM_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "i18n/messages.h"

namespace reg {

// Field name to value; both valid UTF-8.
using Fields = std::map<std::string, std::string, std::less<>>;

// At most this many fields in a url-encoded body.
constexpr std::size_t kMaxFields = 32;

// Decodes an application/x-www-form-urlencoded body: pieces split on '&'
// (empty pieces skipped), "key=value" or a bare "key" (empty value), '+'
// is a space, %XX with hex digits of either case.
// Returns Malformed on a bad %-escape, a key or value that is not UTF-8,
// a key given twice, or more than kMaxFields fields.
Result<Fields> ParseUrlEncoded(std::string_view body);

enum class BodyKind { kForm, kJson };

// The body kind named by a Content-Type header value. The media type is
// compared case-insensitively; parameters are allowed, but a charset other
// than utf-8 (quoted or not, any case) is not. Returns a kUnsupportedMedia
// Status for anything else, including an empty value.
Result<BodyKind> BodyKindFor(std::string_view content_type);

// Parses a body of the given kind. Form: ParseUrlEncoded. JSON: the root
// must be an object; its string members are copied, other members are
// ignored unless named "email", "password", "token", "receipt" or "code"
// (a code is a string: "012345" as a number would lose its 0). Returns
// Malformed for bad JSON (including an empty body or invalid UTF-8), a
// non-object root, or "<name> must be a string".
Result<Fields> ParseBody(BodyKind kind, std::string_view body);

// "" when "email" follows the contract's rules (3 to 254 code points, one
// '@', local part 1 to 64 code points, a dotted domain of LDH labels of at
// most 63 characters, no whitespace or control character anywhere), else
// the key of the message for the person ("field.email_format", see
// lang/en.json). REQUIRES: "email" already trimmed.
std::string EmailError(std::string_view email);

// "" when "password" is valid UTF-8 of 8 to 256 code points, else the key
// of the message for the person ("field.password_too_short": fill in {min}
// and {max} with FieldMessage).
std::string PasswordError(std::string_view password);

// The message of field error "key" in "m", {min} and {max} filled in.
std::string FieldMessage(const Messages& m, std::string_view key);

// Limits of the field rules, shared with the HTML form.
constexpr std::size_t kMinEmailChars = 3;
constexpr std::size_t kMaxEmailChars = 254;
constexpr std::size_t kMaxLocalChars = 64;
constexpr std::size_t kMaxLabelChars = 63;
constexpr std::size_t kMinPasswordChars = 8;
constexpr std::size_t kMaxPasswordChars = 256;

// The key under which "email" is unique: an ASCII-lowercased copy
// (non-ASCII bytes unchanged).
std::string NormalizeEmail(std::string_view email);

// The mailbox an address reaches, for counting mails to it (MAIL_CAP):
// NormalizeEmail without a "+tag" after the local part, so
// "Ann+news@Example.com" and "ann@example.com" are one mailbox; and, for
// the providers of a table in form.cc, the aliases they document (Gmail:
// dots do not count and googlemail.com is gmail.com; Yahoo: a
// "name-keyword" disposable address is name's).
std::string MailboxKey(std::string_view email);

}  // namespace reg

#endif  // FCGI_HTTP_FORM_H_
