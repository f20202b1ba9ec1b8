// RAII building blocks: Deleter<Fn> turns a C library's free function into a
// unique_ptr deleter (each library's aliases live beside the code that uses
// it: base/curl_handles.h, crypto/evp_handles.h, storage/sqlite/db.h), and
// UniqueFd owns a file descriptor. Each C handle gets its owner on the line
// after it is created.
#ifndef FCGI_BASE_HANDLES_H_
#define FCGI_BASE_HANDLES_H_

#include <unistd.h>

#include <memory>

namespace reg {

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};

// Owns a file descriptor; closes it on destruction. -1 means none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace reg

#endif  // FCGI_BASE_HANDLES_H_
