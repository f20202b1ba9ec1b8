#include "i18n/accept_language.h"

#include <algorithm>

#include "base/encoding.h"

namespace reg {
namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// 1*8ALPHA *("-" 1*8alphanum), RFC 4647 2.1 without "*".
bool IsLanguageRange(std::string_view tag) {
  std::size_t part = 0;  // length of the current subtag
  bool first = true;
  for (char c : tag) {
    if (c == '-') {
      if (part == 0) return false;
      part = 0;
      first = false;
      continue;
    }
    if (!(IsAlpha(c) || (!first && IsDigit(c)))) return false;
    if (++part > 8) return false;
  }
  return part > 0;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
// thousandths; -1 when malformed.
int ParseQ(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
  int q = (v[0] - '0') * 1000;
  if (v.size() == 1) return q;
  if (v[1] != '.' || v.size() > 5) return -1;
  int scale = 100;
  for (char c : v.substr(2)) {
    if (!IsDigit(c)) return -1;
    q += (c - '0') * scale;
    scale /= 10;
  }
  return q > 1000 ? -1 : q;
}

std::string Primary(const std::string& tag) {
  return tag.substr(0, tag.find('-'));
}

}  // namespace

std::vector<LanguageRange> ParseAcceptLanguage(std::string_view header) {
  if (header.size() > kMaxAcceptLanguageBytes) {
    header = header.substr(0, kMaxAcceptLanguageBytes);
    const std::size_t comma = header.rfind(',');
    header = header.substr(0, comma == std::string_view::npos ? 0 : comma);
  }
  std::vector<LanguageRange> ranges;
  std::vector<std::string> refused;  // bare languages with q=0
  int seen = 0;
  while (!header.empty() && seen < 32) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view()
                                             : header.substr(comma + 1);
    item = TrimBlanks(item);
    if (item.empty()) continue;
    ++seen;
    const std::size_t semi = item.find(';');
    const std::string_view tag = TrimBlanks(item.substr(0, semi));
    int q = 1000;
    bool bad = false;
    std::string_view params = semi == std::string_view::npos
                                  ? std::string_view()
                                  : item.substr(semi + 1);
    while (!bad && !params.empty()) {
      const std::size_t next = params.find(';');
      const std::string_view param = TrimBlanks(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view()
                                              : params.substr(next + 1);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') &&
          param[1] == '=') {
        q = ParseQ(TrimBlanks(param.substr(2)));
        bad = q < 0;
      } else {
        bad = true;  // Accept-Language has no other parameter
      }
    }
    if (bad || !IsLanguageRange(tag)) continue;
    LanguageRange range{AsciiLowerCopy(tag), q};
    if (q == 0) {
      if (range.tag.find('-') == std::string::npos) {
        refused.push_back(range.tag);
      }
      continue;
    }
    ranges.push_back(std::move(range));
  }
  std::erase_if(ranges, [&](const LanguageRange& r) {
    return std::find(refused.begin(), refused.end(), Primary(r.tag)) !=
           refused.end();
  });
  std::stable_sort(
      ranges.begin(), ranges.end(),
      [](const LanguageRange& a, const LanguageRange& b) { return a.q > b.q; });
  return ranges;
}

std::string NegotiateLanguage(std::string_view header,
                              const std::vector<std::string>& available,
                              const std::string& fallback) {
  for (const LanguageRange& range : ParseAcceptLanguage(header)) {
    const std::string primary = Primary(range.tag);
    if (std::find(available.begin(), available.end(), primary) !=
        available.end()) {
      return primary;
    }
  }
  return fallback;
}

}  // namespace reg
