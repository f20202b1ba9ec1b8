// Helpers shared by the libFuzzer targets in tests/fuzz.
#ifndef TESTS_FUZZ_FUZZ_UTIL_H_
#define TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

// A property the target asserts. Unlike assert() it holds under NDEBUG;
// a failure prints the condition and aborts, which libFuzzer reports as a
// crash and saves the input.
#define FUZZ_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) {                                                     \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                   \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

namespace fuzz {

inline std::string_view AsView(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits "in" at the first (parts - 1) occurrences of "sep". Always returns
// exactly "parts" pieces; missing ones are empty. The last piece keeps any
// further separators.
inline std::vector<std::string_view> SplitN(std::string_view in, char sep,
                                            std::size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const std::size_t at = in.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(in.substr(0, at));
    in.remove_prefix(at + 1);
  }
  out.push_back(in);
  while (out.size() < parts) out.emplace_back();
  return out;
}

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

// Well-formed UTF-8 by the Unicode Standard's Table 3-7, written
// independently of form.cc's decoder so the two can be compared.
inline bool ReferenceUtf8(std::string_view s) {
  std::size_t i = 0;
  const auto b = [&s](std::size_t k) {
    return static_cast<unsigned char>(s[k]);
  };
  const auto in = [&](std::size_t k, unsigned lo, unsigned hi) {
    return k < s.size() && b(k) >= lo && b(k) <= hi;
  };
  while (i < s.size()) {
    const unsigned c = b(i);
    if (c <= 0x7F) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!in(i + 1, 0x80, 0xBF)) return false;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
      const unsigned hi = c == 0xED ? 0x9F : 0xBF;
      if (!in(i + 1, lo, hi) || !in(i + 2, 0x80, 0xBF)) return false;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
      const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!in(i + 1, lo, hi) || !in(i + 2, 0x80, 0xBF) ||
          !in(i + 3, 0x80, 0xBF)) {
        return false;
      }
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace fuzz

#endif  // TESTS_FUZZ_FUZZ_UTIL_H_
