// FcgiConnections: which connection from nginx a free request thread reads
// next. libfcgi's own loop (FCGX_Accept_r on the listening socket) ties a
// thread to the connection it accepted for as long as nginx keeps that
// connection (fastcgi_keep_conn + upstream keepalive): the thread blocks
// reading it while nginx holds it idle, and a request nginx sends on a new
// connection waits in the socket's backlog until some cached connection is
// closed. Under load that served the cached connections first and left the
// others seconds behind (p99 1.17 s against a p50 of 31 ms, 32 clients on
// 8 threads). Here no thread waits on one connection: one free thread at a
// time (the leader) waits for the first of the listening socket and every
// kept idle connection to have something to read, takes it, and hands the
// wait to the next free thread; a kept connection comes back with Keep.
#ifndef FCGI_WORKER_FCGI_CONNECTIONS_H_
#define FCGI_WORKER_FCGI_CONNECTIONS_H_

#include <condition_variable>
#include <memory>
#include <mutex>

#include "base/handles.h"
#include "base/status.h"

namespace reg {

// Thread-safe.
class FcgiConnections {
 public:
  // Over "listen_fd" (spawn-fcgi's fd 0), which it makes non-blocking
  // (every worker process on it accepts this way). Not owned.
  static Result<std::unique_ptr<FcgiConnections>> Open(int listen_fd);
  FcgiConnections(const FcgiConnections&) = delete;
  FcgiConnections& operator=(const FcgiConnections&) = delete;

  // Blocks until a connection has something to read: a new one accepted
  // (blocking, close-on-exec), or a kept one nginx sent a request on or
  // closed. The caller owns it: it reads the request, then Keep()s or
  // closes it. -1 once Stop was called.
  int Next();
  // Gives a connection nginx keeps back, to wait with the others.
  void Keep(int fd);
  // Makes Next return -1 in every thread, now and from now on.
  void Stop();

 private:
  FcgiConnections(int listen_fd, UniqueFd epoll, UniqueFd wake);

  const int listen_fd_;
  const bool tcp_;  // a TCP socket (spawn-fcgi -a/-p), not a Unix one
  const UniqueFd epoll_;
  const UniqueFd wake_;  // an eventfd: readable once stopping

  std::mutex mu_;
  std::condition_variable cv_;  // leading_ or stopping_ changed
  bool leading_ = false;        // a thread waits in epoll_wait
  bool stopping_ = false;
};

}  // namespace reg

#endif  // FCGI_WORKER_FCGI_CONNECTIONS_H_
