#include "crypto/secret_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

#include "base/encoding.h"
#include "base/handles.h"
#include "crypto/token.h"

namespace reg {
namespace {

constexpr size_t kSecretHexChars = 64;

// "<path>: <what>: <strerror(err)>", thread-safe.
Status PosixError(const std::string& path, const char* what, int err) {
  return Status::Internal(path + ": " + what + ": " +
                          std::system_category().message(err));
}

}  // namespace

Result<std::string> LoadSecret(const std::string& path) {
  return LoadSecret(path, geteuid());
}

Result<uid_t> SecretOwner(uid_t euid, const std::string& data_dir) {
  if (euid != 0) return euid;
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) {
    return Status::NotFound(data_dir + ": cannot tell whose it is: " +
                            std::system_category().message(errno));
  }
  return st.st_uid;
}

Result<std::string> LoadSecret(const std::string& path, uid_t owner) {
  // O_NONBLOCK: a FIFO planted at "path" must not hang us before fstat.
  // O_NOFOLLOW: a symlink planted at "path" is refused, not followed.
  UniqueFd fd(open(path.c_str(),
                   O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ELOOP) return Status::Internal(path + ": is a symlink");
    return PosixError(path, "open", errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return PosixError(path, "fstat", errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::Internal(path + ": not a regular file");
  }
  if (st.st_uid != owner) {
    return Status::Internal(path + ": owned by uid " +
                            std::to_string(st.st_uid) +
                            ", not by the user the workers run as (uid " +
                            std::to_string(owner) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    return Status::Internal(path + ": readable by group or others (chmod 600 " +
                            path + ")");
  }

  // One byte more than the longest valid content, to detect longer files.
  char buf[kSecretHexChars + 2];
  size_t len = 0;
  while (len < sizeof buf) {
    ssize_t n = read(fd.get(), buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      OPENSSL_cleanse(buf, sizeof buf);
      return PosixError(path, "read", err);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  bool valid = len == kSecretHexChars ||
               (len == kSecretHexChars + 1 && buf[kSecretHexChars] == '\n');
  for (size_t i = 0; valid && i < kSecretHexChars; ++i) {
    valid = IsLowerHexDigit(buf[i]);
  }
  std::string secret;
  if (valid) secret.assign(buf, kSecretHexChars);
  OPENSSL_cleanse(buf, sizeof buf);
  if (!valid) {
    return Status::Internal(path +
                            ": expected exactly 64 lowercase hex characters"
                            " (optionally followed by one newline)");
  }
  return secret;
}

Result<std::string> CreateSecretIfMissing(const std::string& path) {
  // Written whole under a name of this process's, then linked to "path":
  // link() never replaces a file, so processes starting together all end
  // up with the one secret that got there first, and none ever reads a
  // half-written one.
  unsigned char suffix[8];
  if (Status r = RandomBytes(suffix, sizeof suffix); !r.ok()) return r;
  const std::string tmp = path + ".new." +
                          HexEncode(std::string_view(
                              reinterpret_cast<char*>(suffix), sizeof suffix));
  UniqueFd fd(open(tmp.c_str(),
                   O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    if (access(path.c_str(), F_OK) == 0) return LoadSecret(path);
    return PosixError(tmp, "create", errno);
  }
  unsigned char raw[kSecretHexChars / 2];
  Status s = RandomBytes(raw, sizeof raw);
  std::string hex;
  if (s.ok()) {
    hex = HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  }
  OPENSSL_cleanse(raw, sizeof raw);
  size_t done = 0;
  while (s.ok() && done < hex.size()) {
    ssize_t n = write(fd.get(), hex.data() + done, hex.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) s = PosixError(tmp, "write", n < 0 ? errno : EIO);
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (s.ok() && fsync(fd.get()) != 0) s = PosixError(tmp, "fsync", errno);
  if (s.ok() && close(fd.release()) != 0) s = PosixError(tmp, "close", errno);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (s.ok() && link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    s = PosixError(path, "link", errno);
  }
  fd.reset();
  unlink(tmp.c_str());
  if (!s.ok()) return s;
  return LoadSecret(path);  // ours, or the one another process linked first
}

}  // namespace reg
