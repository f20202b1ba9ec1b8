// The front nginx of a site with several hosts, as README.md's "More than
// one host" shows it: one listener proxying round robin to the hosts'
// public listeners, sending X-Forwarded-For $proxy_add_x_forwarded_for.
#ifndef TESTS_INTEGRATION_FRONT_H_
#define TESTS_INTEGRATION_FRONT_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "stack.h"

namespace reg::testing {

class Front {
 public:
  // Starts nginx in "dir"/front on a free 127.0.0.1 port before the hosts'
  // 127.0.0.1 "ports"; up() says whether it answers.
  Front(const std::string& dir, const std::vector<int>& ports);
  ~Front();
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  bool up() const { return up_; }
  std::string Url(const std::string& path) const;
  // POST /register as JSON through the front.
  HttpResponse Register(const std::string& email) const;

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
  bool up_ = false;
};

}  // namespace reg::testing

#endif  // TESTS_INTEGRATION_FRONT_H_
