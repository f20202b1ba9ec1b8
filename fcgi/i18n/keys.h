// The message keys the code uses: the list every catalogue is checked
// against at start.
#ifndef FCGI_I18N_KEYS_H_
#define FCGI_I18N_KEYS_H_

#include <cstddef>
#include <span>

namespace reg {

enum class KeyKind {
  kText,    // a string
  kPlural,  // an object: one string per category of the plural rule
  kMonths,  // an array of the 12 month names, January first
  kRule,    // a plural rule name (PluralCategory)
};

struct KeySpec {
  const char* key;
  KeyKind kind;
  // Placeholders each text must hold, space-separated ("{link} {n}").
  const char* required = "";
};

std::span<const KeySpec> MessageKeys();

}  // namespace reg

#endif  // FCGI_I18N_KEYS_H_
