// The environment file the service and regctl share
// (/etc/registrar/registrar.env): the subset of systemd's EnvironmentFile=
// syntax that both can read the same way. One KEY=VALUE a line; blank lines
// and lines starting with '#' or ';' are ignored; a value wrapped in one
// pair of matching quotes loses them; nothing else is interpreted (no $,
// no escapes), so "MAIL_FROM=Example <no-reply@example.com>" is taken as is.
#ifndef FCGI_BASE_ENV_FILE_H_
#define FCGI_BASE_ENV_FILE_H_

#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "base/status.h"

namespace reg {

using EnvMap = std::map<std::string, std::string>;

// Parses "path". A line that is not KEY=VALUE (KEY: A-Z, 0-9, _) is an
// error naming the file and line number.
Result<EnvMap> ReadEnvFile(const std::string& path);

// A getenv for LoadConfig: "env" first (the process environment, so one
// run can override a setting), then "file", which must outlive it.
std::function<const char*(const char*)> EnvThenFile(
    const EnvMap& file, std::function<const char*(const char*)> env =
                            [](const char* name) { return std::getenv(name); });

}  // namespace reg

#endif  // FCGI_BASE_ENV_FILE_H_
