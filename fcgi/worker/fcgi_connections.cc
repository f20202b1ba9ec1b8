#include "worker/fcgi_connections.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "base/log.h"

namespace reg {
namespace {

Status Errno(const std::string& what) {
  return Status::Internal(what + ": " + std::strerror(errno));
}

bool IsTcp(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  return getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
         (address.ss_family == AF_INET || address.ss_family == AF_INET6);
}

// accept(2)'s errors that concern one connection, or none: another worker
// process took it (EAGAIN), or its client went away before it was taken.
bool Transient(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR ||
         error == ECONNABORTED || error == EPROTO;
}

}  // namespace

Result<std::unique_ptr<FcgiConnections>> FcgiConnections::Open(int listen_fd) {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return Errno("epoll_create1");
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return Errno("eventfd");
  // The leader accepts only once epoll said a connection waits; another
  // process may take it first, so accept must not block.
  const int flags = fcntl(listen_fd, F_GETFL);
  if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return Errno("fcntl(O_NONBLOCK) on the listening socket");
  }
  // EPOLLEXCLUSIVE: a new connection wakes one worker process's leader,
  // not every process's.
  epoll_event listen{};
  listen.events = EPOLLIN | EPOLLEXCLUSIVE;
  listen.data.fd = listen_fd;
  if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, listen_fd, &listen) != 0) {
    return Errno("epoll_ctl(the listening socket)");
  }
  epoll_event stop{};
  stop.events = EPOLLIN;
  stop.data.fd = wake.get();
  if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &stop) != 0) {
    return Errno("epoll_ctl(eventfd)");
  }
  return std::unique_ptr<FcgiConnections>(
      new FcgiConnections(listen_fd, std::move(epoll), std::move(wake)));
}

FcgiConnections::FcgiConnections(int listen_fd, UniqueFd epoll, UniqueFd wake)
    : listen_fd_(listen_fd),
      tcp_(IsTcp(listen_fd)),
      epoll_(std::move(epoll)),
      wake_(std::move(wake)) {}

int FcgiConnections::Next() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || !leading_; });
    if (stopping_) return -1;
    leading_ = true;
  }
  int fd = -1;
  for (;;) {
    epoll_event event{};
    const int n = epoll_wait(epoll_.get(), &event, 1, -1);
    if (n < 0 && errno != EINTR) {
      Log("request threads: epoll_wait: %s", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (n <= 0) continue;
    if (event.data.fd == wake_.get()) break;  // stopping
    if (event.data.fd != listen_fd_) {
      // A kept connection: out of the set until Keep adds it again (no
      // other thread waits in epoll_wait before this leader hands over).
      fd = event.data.fd;
      (void)epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      break;
    }
    fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      if (tcp_) {
        // As libfcgi does: no replies to wait for, so no Nagle delay.
        const int on = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      }
      break;
    }
    if (!Transient(errno)) {
      // Out of descriptors (EMFILE, ENFILE) or memory: the connection
      // stays in the backlog; try again shortly rather than spin.
      Log("request threads: accept: %s", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    leading_ = false;
  }
  cv_.notify_one();
  return fd;
}

void FcgiConnections::Keep(int fd) {
  // Added each time (Next takes it out), not re-armed with EPOLL_CTL_MOD:
  // ThreadSanitizer orders this thread's use of the connection before the
  // taker's only through an ADD (a MOD made it report the taker's close
  // as a race); the one system call more is not measurable.
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == 0) return;
  Log("request threads: keep connection: epoll_ctl: %s", std::strerror(errno));
  ::close(fd);  // nginx sees it closed and opens another
}

void FcgiConnections::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // Stays readable: the leader, now or later, wakes at once.
  const std::uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

}  // namespace reg
