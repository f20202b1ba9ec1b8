// Log: one line per event, "<UTC time> registrar[<pid>] <text>", on stderr
// or, after OpenLogFile, in that file (which then is stderr too, so a
// sanitizer's report lands there as well). Never pass a password, token,
// secret or request body.
#ifndef FCGI_BASE_LOG_H_
#define FCGI_BASE_LOG_H_

#include <string>

#include "base/status.h"

namespace reg {

void Log(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Appends the log to "path" (created 0640 if missing; a symlink is
// refused): the file becomes fd 2. Until StartupDone(), each line also goes
// to the original stderr, so a worker that cannot start says why in both
// places.
Status OpenLogFile(const std::string& path);
void StartupDone();

}  // namespace reg

#endif  // FCGI_BASE_LOG_H_
