#include "base/env_file.h"

#include <cstdlib>
#include <fstream>
#include <utility>

namespace reg {

Result<EnvMap> ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot be read");
  EnvMap env;
  std::string line;
  for (int number = 1; std::getline(in, line); number++) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#' ||
        line[start] == ';') {
      continue;
    }
    size_t eq = line.find('=', start);
    std::string key =
        eq == std::string::npos ? "" : line.substr(start, eq - start);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) {
      key.pop_back();
    }
    bool good = !key.empty();
    for (char c : key) {
      good = good && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || (c >= 'a' && c <= 'z'));
    }
    if (!good) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) +
                                     ": not KEY=VALUE");
    }
    std::string value = line.substr(eq + 1);
    size_t first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' ||
                              value.back() == '\r')) {
      value.pop_back();
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    env[key] = value;
  }
  return env;
}

std::function<const char*(const char*)> EnvThenFile(
    const EnvMap& file, std::function<const char*(const char*)> env) {
  return [&file, env = std::move(env)](const char* name) -> const char* {
    if (const char* v = env(name)) return v;
    auto it = file.find(name);
    return it == file.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace reg
