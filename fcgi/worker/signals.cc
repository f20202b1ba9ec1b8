#include "worker/signals.h"

#include <pthread.h>
#include <signal.h>

namespace reg {
namespace {

extern "C" void WakeUp(int) {}  // only interrupts a blocked call

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void SetUpSignals() {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction wake = {};
  wake.sa_handler = WakeUp;  // no SA_RESTART: blocked calls return EINTR
  sigemptyset(&wake.sa_mask);
  sigaction(SIGUSR1, &wake, nullptr);
  const sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
}

int WaitForStopSignal() {
  const sigset_t stop = StopSignals();
  int sig = 0;
  sigwait(&stop, &sig);
  return sig;
}

void Wake(std::thread& thread) {
  pthread_kill(thread.native_handle(), SIGUSR1);
}

}  // namespace reg
