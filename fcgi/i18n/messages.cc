#include "i18n/messages.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/escape.h"
#include "i18n/accept_language.h"
#include "i18n/keys.h"

namespace reg {
namespace {

// The categories a rule's plural messages hold, in CLDR's order.
std::vector<std::string> CategoriesOf(std::string_view rule) {
  if (rule == "one" || rule == "zero-one") return {"one", "other"};
  if (rule == "none") return {"other"};
  if (rule == "east-slavic" || rule == "polish") return {"one", "few", "many"};
  if (rule == "czech") return {"one", "few", "other"};
  return {};
}

Status Fault(const std::string& file, std::string_view key,
             const std::string& what) {
  return Status::InvalidArgument(file + ": key \"" + std::string(key) +
                                 "\": " + what);
}

// Checks that "text" holds each placeholder of "required".
Status CheckPlaceholders(const std::string& file, std::string_view key,
                         const std::string& text, std::string_view required) {
  std::istringstream words{std::string(required)};
  std::string word;
  while (words >> word) {
    if (text.find(word) == std::string::npos) {
      return Fault(file, key, "lacks the placeholder " + word);
    }
  }
  return Status();
}

bool IsCatalogueTag(const std::string& tag) {
  return (tag.size() == 2 || tag.size() == 3) &&
         std::all_of(tag.begin(), tag.end(),
                     [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

std::string Format(std::string_view tmpl, const Args& args) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  for (std::size_t i = 0; i < tmpl.size();) {
    bool replaced = false;
    if (tmpl[i] == '{') {
      const std::size_t close = tmpl.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = tmpl.substr(i + 1, close - i - 1);
        for (const auto& [arg, value] : args) {
          if (arg == name) {
            out += value;
            i = close + 1;
            replaced = true;
            break;
          }
        }
      }
    }
    if (!replaced) out += tmpl[i++];
  }
  return out;
}

std::string PluralCategory(std::string_view rule, long n) {
  const long mod10 = n % 10, mod100 = n % 100;
  const bool few = mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14);
  if (rule == "one") return n == 1 ? "one" : "other";
  if (rule == "zero-one") return n == 0 || n == 1 ? "one" : "other";
  if (rule == "none") return "other";
  if (rule == "east-slavic") {
    if (mod10 == 1 && mod100 != 11) return "one";
    return few ? "few" : "many";
  }
  if (rule == "polish") {
    if (n == 1) return "one";
    return few ? "few" : "many";
  }
  if (rule == "czech") {
    if (n == 1) return "one";
    return n >= 2 && n <= 4 ? "few" : "other";
  }
  return "";
}

std::string Messages::Text(std::string_view key, const Args& args) const {
  auto it = texts_.find(key);
  if (it == texts_.end()) return std::string(key);
  return Format(it->second, args);
}

std::string Messages::Html(std::string_view key, const Args& args) const {
  auto it = texts_.find(key);
  if (it == texts_.end()) return HtmlEscape(key);
  return Format(HtmlEscape(it->second), args);
}

std::string Messages::Plural(std::string_view key, long n, Args args) const {
  auto it = plurals_.find(key);
  if (it == plurals_.end()) return std::string(key);
  auto form = it->second.find(PluralCategory(plural_rule_, n));
  if (form == it->second.end()) form = it->second.begin();
  args.emplace_back("n", std::to_string(n));
  return Format(form->second, args);
}

std::map<std::string, std::string> Messages::PluralForms(
    std::string_view key) const {
  auto it = plurals_.find(key);
  return it == plurals_.end() ? std::map<std::string, std::string>()
                              : it->second;
}

std::string Messages::DateTimeUtc(std::int64_t unix_s) const {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm = {};
  gmtime_r(&t, &tm);
  char time[8];
  std::snprintf(time, sizeof time, "%02d:%02d", tm.tm_hour % 24,
                tm.tm_min % 60);
  const std::string month =
      months_.size() == 12 ? months_[static_cast<std::size_t>(tm.tm_mon % 12)]
                           : std::to_string(tm.tm_mon + 1);
  return Text("date.format", {{"day", std::to_string(tm.tm_mday)},
                              {"month", month},
                              {"year", std::to_string(tm.tm_year + 1900)},
                              {"time", time}});
}

Result<Messages> ParseCatalogue(std::string_view tag, std::string_view json,
                                const std::string& file) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(file + ": not a JSON object");
  }
  Messages m;
  m.tag_ = std::string(tag);
  const auto keys = MessageKeys();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const bool known =
        std::any_of(keys.begin(), keys.end(),
                    [&](const KeySpec& k) { return it.key() == k.key; });
    if (!known) return Fault(file, it.key(), "not a key the service uses");
  }
  // The rule first: plural messages are checked against it.
  const auto rule = j.find("plural_rule");
  if (rule == j.end()) return Fault(file, "plural_rule", "missing");
  if (!rule->is_string() || CategoriesOf(rule->get<std::string>()).empty()) {
    return Fault(file, "plural_rule",
                 "not one of one, zero-one, none, east-slavic, polish, czech");
  }
  m.plural_rule_ = rule->get<std::string>();
  for (const KeySpec& spec : keys) {
    const auto v = j.find(spec.key);
    if (v == j.end()) return Fault(file, spec.key, "missing");
    switch (spec.kind) {
      case KeyKind::kRule:
        break;
      case KeyKind::kText: {
        if (!v->is_string()) return Fault(file, spec.key, "not a string");
        std::string text = v->get<std::string>();
        if (text.empty()) return Fault(file, spec.key, "empty");
        Status s = CheckPlaceholders(file, spec.key, text, spec.required);
        if (!s.ok()) return s;
        m.texts_[spec.key] = std::move(text);
        break;
      }
      case KeyKind::kPlural: {
        const std::vector<std::string> wanted = CategoriesOf(m.plural_rule_);
        if (!v->is_object() || v->size() != wanted.size()) {
          return Fault(file, spec.key,
                       "not an object of one string per plural category of "
                       "rule \"" +
                           m.plural_rule_ + "\"");
        }
        for (const std::string& category : wanted) {
          const auto form = v->find(category);
          if (form == v->end() || !form->is_string()) {
            return Fault(file, spec.key,
                         "lacks the plural form \"" + category + "\"");
          }
          const std::string text = form->get<std::string>();
          Status s = CheckPlaceholders(file, spec.key, text, spec.required);
          if (!s.ok()) return s;
          m.plurals_[spec.key][category] = text;
        }
        break;
      }
      case KeyKind::kMonths:
        if (!v->is_array() || v->size() != 12) {
          return Fault(file, spec.key, "not an array of 12 month names");
        }
        for (const auto& name : *v) {
          if (!name.is_string() || name.get<std::string>().empty()) {
            return Fault(file, spec.key, "not an array of 12 month names");
          }
          m.months_.push_back(name.get<std::string>());
        }
        break;
    }
  }
  return m;
}

Result<Catalogues> Catalogues::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return Status::InvalidArgument("language catalogues: " + dir + ": " +
                                   ec.message());
  }
  std::vector<fs::path> files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().extension() == ".json") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  Catalogues c;
  for (const fs::path& path : files) {
    const std::string tag = path.stem().string();
    if (!IsCatalogueTag(tag)) {
      return Status::InvalidArgument(
          path.string() +
          ": not a catalogue name (a language tag of 2 or 3 lowercase "
          "letters and .json, like de.json)");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) {
      return Status::InvalidArgument(path.string() + ": unreadable");
    }
    Result<Messages> m = ParseCatalogue(tag, bytes.str(), path.string());
    if (!m.ok()) return m.status();
    c.by_tag_[tag] = std::make_unique<Messages>(std::move(m).value());
    c.tags_.push_back(tag);
  }
  if (c.by_tag_.find("en") == c.by_tag_.end()) {
    return Status::InvalidArgument(dir +
                                   "/en.json: missing (English is the "
                                   "fallback language)");
  }
  return c;
}

Result<Catalogues> LoadLangDir(const std::string& lang_dir) {
  Result<Catalogues> catalogues = Catalogues::Load(lang_dir);
  if (catalogues.ok()) return catalogues;
  return Status::InvalidArgument("LANG_DIR=" + lang_dir + ": " +
                                 catalogues.status().message());
}

const Messages& Catalogues::Choose(std::string_view accept_language) const {
  return Get(NegotiateLanguage(accept_language, tags_, "en"));
}

const Messages& Catalogues::Get(std::string_view tag) const {
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) it = by_tag_.find("en");
  return *it->second;
}

std::vector<std::string> Catalogues::tags() const { return tags_; }

}  // namespace reg
