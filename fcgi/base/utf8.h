// Strict UTF-8 (RFC 3629), for every part that takes text from outside:
// form fields, mail bodies, catalogues. Pure functions; thread-safe.
#ifndef FCGI_BASE_UTF8_H_
#define FCGI_BASE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace reg {

// Decodes the code point that starts at s[i] into *cp. Returns its length
// in bytes (1 to 4), or 0, leaving *cp unset, when the bytes there are not
// strict UTF-8: an overlong form, a surrogate (U+D800..U+DFFF), a code
// point above U+10FFFF or a sequence cut short. REQUIRES: i < s.size().
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t* cp);

// True when all of "s" is strict UTF-8 (see DecodeUtf8).
bool IsValidUtf8(std::string_view s);

// The number of code points in "s". REQUIRES: IsValidUtf8(s).
std::size_t Utf8Length(std::string_view s);

}  // namespace reg

#endif  // FCGI_BASE_UTF8_H_
