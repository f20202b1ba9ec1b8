#include "base/log.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace reg {

void Log(const char* format, ...) {
  char line[1024];
  std::time_t now = std::time(nullptr);
  std::tm tm;
  gmtime_r(&now, &tm);
  int n = static_cast<int>(
      std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ", &tm));
  n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n),
                     " registrar[%d] ", static_cast<int>(getpid()));
  va_list ap;
  va_start(ap, format);
  int k = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n), format,
                         ap);
  va_end(ap);
  size_t len = static_cast<size_t>(n) + (k > 0 ? static_cast<size_t>(k) : 0);
  if (len > sizeof line - 2) len = sizeof line - 2;
  // Control characters would let a value forge log lines.
  for (size_t i = static_cast<size_t>(n); i < len; i++) {
    if (static_cast<unsigned char>(line[i]) < 0x20) line[i] = '?';
  }
  line[len++] = '\n';
  // One write per line keeps lines whole across threads and processes.
  ssize_t ignored = write(STDERR_FILENO, line, len);
  (void)ignored;
}

}  // namespace reg
