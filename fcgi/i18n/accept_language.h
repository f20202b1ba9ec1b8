// Accept-Language (RFC 9110 12.5.4), read the way this service needs it:
// which languages the person prefers, best first. Pure and thread-safe.
#ifndef FCGI_I18N_ACCEPT_LANGUAGE_H_
#define FCGI_I18N_ACCEPT_LANGUAGE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace reg {

// Only this many bytes of the header are read (cut at the last comma
// before it); browsers send well under 200.
constexpr std::size_t kMaxAcceptLanguageBytes = 512;

struct LanguageRange {
  std::string tag;  // lowercased, e.g. "de-ch"
  int q = 1000;     // quality in thousandths, 1 to 1000
};

// The ranges of "header" with q > 0, highest q first (ties keep their
// order). Skipped: "*", ranges that are not language tags (letters, then
// "-" and letters or digits, each part 1 to 8), bad q values, and
// everything past kMaxAcceptLanguageBytes or the 32nd range. A range with
// q=0 is left out and, when it is a bare language ("de;q=0"), so is every
// other range of that language.
std::vector<LanguageRange> ParseAcceptLanguage(std::string_view header);

// The first language of "header" that "available" holds (lowercase primary
// tags such as "de"), matching a range by its primary subtag ("de-CH" is
// "de"); "fallback" when none matches.
std::string NegotiateLanguage(std::string_view header,
                              const std::vector<std::string>& available,
                              const std::string& fallback);

}  // namespace reg

#endif  // FCGI_I18N_ACCEPT_LANGUAGE_H_
