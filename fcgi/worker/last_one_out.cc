#include "worker/last_one_out.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"

namespace reg {

LastOneOut::LastOneOut(const std::string& pid_file) : pid_file_(pid_file) {
  if (pid_file_.empty()) return;
  const size_t slash = pid_file_.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : pid_file_.substr(0, slash + 1);
  fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ >= 0) flock(fd_, LOCK_SH);
}

LastOneOut::~LastOneOut() {
  if (fd_ >= 0) close(fd_);
}

void LastOneOut::Leave() {
  if (fd_ < 0) return;
  flock(fd_, LOCK_UN);
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) return;  // others still serve
  sockaddr_un addr = {};
  socklen_t len = sizeof addr;
  struct stat st;
  if (getsockname(0, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
      addr.sun_family == AF_UNIX && addr.sun_path[0] != '\0' &&
      stat(addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
    unlink(addr.sun_path);
  }
  unlink(pid_file_.c_str());
  Log("last worker out: removed %s and the socket", pid_file_.c_str());
}

}  // namespace reg
