// Encodings shared by every part: base64 (standard and url alphabets),
// hex, and ASCII case. Pure functions; thread-safe.
#ifndef FCGI_BASE_ENCODING_H_
#define FCGI_BASE_ENCODING_H_

#include <optional>
#include <string>
#include <string_view>

namespace reg {

// RFC 4648 section 5 ("base64url": '-' and '_'), without padding.
std::string Base64UrlEncode(std::string_view bytes);

// Strict inverse of Base64UrlEncode. Returns nullopt unless "text" is made
// only of the base64url alphabet (no '=' padding, no whitespace), its length
// is possible (length % 4 != 1) and the unused trailing bits are zero, so
// every byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// RFC 4648 section 4 (standard alphabet, '+' and '/'). With "pad", the
// output is '='-padded to a multiple of 4 (MIME); without, the padding is
// left off (PHC strings).
std::string Base64Encode(std::string_view bytes, bool pad = true);

// Strict inverse of Base64Encode(bytes, pad): with "pad" the text must carry
// exactly the padding Base64Encode writes; without, it must carry none. The
// same alphabet, length and trailing-bit rules as Base64UrlDecode apply.
std::optional<std::string> Base64Decode(std::string_view text, bool pad = true);

// Lowercase hexadecimal, two characters per byte.
std::string HexEncode(std::string_view bytes);

// The value of hex digit "c" (0-9, a-f, A-F), or -1.
int HexDigitValue(char c);

// True for 0-9 and a-f.
bool IsLowerHexDigit(char c);

// "c" with A-Z mapped to a-z; every other byte unchanged (no locale).
char AsciiLower(char c);
std::string AsciiLowerCopy(std::string_view s);

// "s" without leading and trailing ASCII whitespace (space, \t, \n, \r,
// \f, \v). The result points into "s".
std::string_view TrimSpace(std::string_view s);

// "s" without leading and trailing spaces and tabs (HTTP's optional
// whitespace); line ends are kept. The result points into "s".
std::string_view TrimBlanks(std::string_view s);

// True for a letter, digit or hyphen: what a DNS label is made of.
bool IsLdh(char c);

}  // namespace reg

#endif  // FCGI_BASE_ENCODING_H_
