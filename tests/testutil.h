// Test helpers shared by unit and integration tests.
#ifndef TESTS_TESTUTIL_H_
#define TESTS_TESTUTIL_H_

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <thread>

#include "base/status.h"
#include "fake_clock.h"
#include "i18n/messages.h"

namespace reg {

inline Status StatusOf(const Status& s) { return s; }
template <class T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// For a Status or a Result<T>: evaluates "expr" once and, when it is not
// OK, fails with that Status (more can be streamed: ASSERT_OK(s) << x).
// The if/else shape is GoogleTest's own, so a following "else" is safe.
#define REG_OK_IMPL_(expr, on_failure)                            \
  GTEST_AMBIGUOUS_ELSE_BLOCKER_                                   \
  if (const ::reg::Status reg_ok_status_ = ::reg::StatusOf(expr); \
      reg_ok_status_.ok())                                        \
    ;                                                             \
  else                                                            \
    on_failure() << #expr << " is " << reg_ok_status_.ToString() << " "
#define ASSERT_OK(expr) REG_OK_IMPL_(expr, GTEST_FAIL)
#define EXPECT_OK(expr) REG_OK_IMPL_(expr, ADD_FAILURE)

// True for exactly 64 lowercase hex characters (a secret file's text). No
// std::regex: g++ 12 warns inside it under -O1 -fsanitize, and the build
// uses -Werror.
inline bool Is64LowerHex(std::string_view s) {
  return s.size() == 64 &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Polls "pred" every 20 ms until it holds or "deadline" has passed; returns
// its last value. For waiting on a condition, never as an assertion of time.
inline bool WaitFor(
    const std::function<bool()>& pred,
    std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A 127.0.0.1 TCP port that was free a moment ago, below the kernel's
// ephemeral range (32768 and up): no bind to port 0 elsewhere (an SMTP
// sink, a parallel test run) can take it before the caller binds it.
inline int FreePort() {
  static thread_local unsigned seed =
      static_cast<unsigned>(getpid()) * 2654435761u ^
      static_cast<unsigned>(
          std::chrono::steady_clock::now().time_since_epoch().count());
  for (int tries = 0; tries < 1000; tries++) {
    const int port = 20000 + static_cast<int>(rand_r(&seed) % 12000);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) continue;
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free =
        bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free) return port;
  }
  return 0;
}

// A fresh directory under $TMPDIR (or /tmp), removed with its files.
// path() is empty if mkdtemp failed.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "reg_test.XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The repository's catalogues (lang/ under REGISTRAR_ROOT, else the
// working directory), loaded once; a test fails at once without them.
inline const Catalogues& TestCatalogues() {
  static const Catalogues* catalogues = [] {
    const char* root = getenv("REGISTRAR_ROOT");
    Result<Catalogues> c =
        Catalogues::Load(std::string(root != nullptr ? root : ".") + "/lang");
    if (!c.ok()) {
      ADD_FAILURE() << c.status().ToString();
      std::abort();
    }
    return new Catalogues(std::move(c).value());
  }();
  return *catalogues;
}
inline const Messages& English() { return TestCatalogues().Get("en"); }

}  // namespace reg

#endif  // TESTS_TESTUTIL_H_
