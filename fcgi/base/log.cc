#include "base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace reg {
namespace {

// The stderr the process started with, while it is still starting and the
// log went to a file; -1 otherwise. Atomic: threads log while main starts.
// StartupDone leaves the descriptor open, so a line racing it never goes
// to a descriptor number reused for something else.
std::atomic<int> g_startup_stderr{-1};

void WriteAll(int fd, const char* data, size_t len) {
  ssize_t ignored = write(fd, data, len);
  (void)ignored;
}

}  // namespace

Status OpenLogFile(const std::string& path) {
  int fd = open(path.c_str(),
                O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Status::Internal("LOG_FILE=" + path + ": " + std::strerror(errno));
  }
  g_startup_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (dup2(fd, STDERR_FILENO) < 0) {
    int err = errno;
    close(fd);
    return Status::Internal("LOG_FILE=" + path + ": " + std::strerror(err));
  }
  close(fd);
  return Status::Ok();
}

void StartupDone() { g_startup_stderr = -1; }

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
  WriteAll(STDERR_FILENO, line, len);
  if (const int fd = g_startup_stderr; fd >= 0) WriteAll(fd, line, len);
}

}  // namespace reg
