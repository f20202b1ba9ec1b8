// ASCII case folding for protocol tokens (host names, header values).
#ifndef FCGI_BASE_ASCII_H_
#define FCGI_BASE_ASCII_H_

#include <string>
#include <string_view>

namespace reg {

// "s" with A-Z turned into a-z; every other byte unchanged.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

}  // namespace reg

#endif  // FCGI_BASE_ASCII_H_
