// Messages: every word a person reads (pages, field errors, the page
// script's messages, mails) in one language, loaded from a catalogue file
// LANG_DIR/<tag>.json; Catalogues: all of them, and the choice of one for
// a request. Catalogues are loaded once at start and never change: safe
// to share between threads.
#ifndef FCGI_I18N_MESSAGES_H_
#define FCGI_I18N_MESSAGES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace reg {

// Named values for the {name} placeholders of a message.
using Args = std::vector<std::pair<std::string_view, std::string>>;

// "tmpl" with each {name} of "args" replaced by its value; any other text,
// an unknown {name} included, is kept as it is.
std::string Format(std::string_view tmpl, const Args& args);

class Messages {
 public:
  // The language tag ("en"), as in <html lang> and Content-Language.
  const std::string& tag() const { return tag_; }

  // The message "key" with "args" filled in, plain text. A key the
  // catalogue lacks (never after Load: it checks them all) gives the key.
  std::string Text(std::string_view key, const Args& args = {}) const;

  // The same for HTML: the message is escaped, then "args" (already HTML)
  // are put in.
  std::string Html(std::string_view key, const Args& args = {}) const;

  // The plural message "key" for "n" (the form the language's plural rule
  // picks), with {n} and "args" filled in, plain text.
  std::string Plural(std::string_view key, long n, Args args = {}) const;

  // "unix_s" as a date and time in UTC in this language's words:
  // "30 November 2026, 08:00 UTC".
  std::string DateTimeUtc(std::int64_t unix_s) const;
  // The 12 month names DateTimeUtc uses (a page script formats dates as
  // it does, with "date.format").
  const std::vector<std::string>& months() const { return months_; }

  // The plural rule (PluralCategory) and the forms of plural message
  // "key", category → text ({} for an unknown key).
  const std::string& plural_rule() const { return plural_rule_; }
  std::map<std::string, std::string> PluralForms(std::string_view key) const;

  // Every plain message, key → text (for the page script's messages).
  const std::map<std::string, std::string, std::less<>>& texts() const {
    return texts_;
  }

 private:
  friend class Catalogues;
  friend Result<Messages> ParseCatalogue(std::string_view tag,
                                         std::string_view json,
                                         const std::string& file);
  std::string tag_;
  std::string plural_rule_;
  std::map<std::string, std::string, std::less<>> texts_;
  std::map<std::string, std::map<std::string, std::string>, std::less<>>
      plurals_;
  std::vector<std::string> months_;
};

// The plural category ("one", "few", "many", "other") that plural rule
// "rule" gives to "n" (n >= 0); "" for an unknown rule. Rules: "one" (1 is
// singular: en, de, nl, sv, it, es...), "zero-one" (0 and 1: fr, pt-BR),
// "none" (no plural: ja, zh, ko), "east-slavic" (ru, uk), "polish",
// "czech" (cs, sk). CLDR's integer rules for those languages.
std::string PluralCategory(std::string_view rule, long n);

// Parses and checks one catalogue: JSON, every key the service uses and
// no other, each of the right kind with its required placeholders.
// InvalidArgument naming "file" and the key on any fault.
Result<Messages> ParseCatalogue(std::string_view tag, std::string_view json,
                                const std::string& file);

class Catalogues {
 public:
  // Loads every "<tag>.json" of "dir" (tag: 2 or 3 lowercase letters; any
  // other *.json is an error, other files are ignored). "en.json" must be
  // there: it is the fallback. InvalidArgument naming the file and key at
  // the first fault.
  static Result<Catalogues> Load(const std::string& dir);

  // The catalogue of the first language of "accept_language" there is a
  // catalogue for; English otherwise.
  const Messages& Choose(std::string_view accept_language) const;

  // The catalogue of "tag"; English when there is none.
  const Messages& Get(std::string_view tag) const;

  // The loaded tags, sorted.
  std::vector<std::string> tags() const;

 private:
  // unique_ptr: a Messages& handed out stays valid when Catalogues moves.
  std::map<std::string, std::unique_ptr<Messages>, std::less<>> by_tag_;
  std::vector<std::string> tags_;
};

// A worker's LANG_DIR at start: Catalogues::Load, whose failure names the
// setting ("LANG_DIR=<dir>: <dir>/de.json: ..."). Every catalogue
// complete, or no start: a page with a missing message is found then, not
// by a visitor.
Result<Catalogues> LoadLangDir(const std::string& lang_dir);

}  // namespace reg

#endif  // FCGI_I18N_MESSAGES_H_
