// The worker's signals. libfcgi alone would let a threaded worker serve on
// after SIGTERM (each thread takes one more request), so SIGTERM and SIGINT
// are blocked in every thread and taken by one sigwait, and a request
// thread blocked in accept() or read() is woken with SIGUSR1.
#ifndef FCGI_WORKER_SIGNALS_H_
#define FCGI_WORKER_SIGNALS_H_

#include <thread>

namespace reg {

// Ignores SIGPIPE; gives SIGUSR1 a handler that does nothing, without
// SA_RESTART, so that it makes a blocked call return EINTR; blocks SIGTERM
// and SIGINT in the calling thread and so in every thread started after.
// REQUIRES: no other thread yet, and before FCGX_Init, which installs its
// own handlers only where none is set.
void SetUpSignals();

// Blocks until SIGTERM or SIGINT arrives; returns its number.
// REQUIRES: SetUpSignals().
int WaitForStopSignal();

// Interrupts the blocking call "thread" is in, if any (SIGUSR1).
// REQUIRES: SetUpSignals(); "thread" is running.
void Wake(std::thread& thread);

}  // namespace reg

#endif  // FCGI_WORKER_SIGNALS_H_
