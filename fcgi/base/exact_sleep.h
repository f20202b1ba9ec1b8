// Sleeping to an absolute deadline with as little wake-up lateness as the
// kernel allows: what a timing floor (POST /register/resend's) needs so
// that its answers leave at the same moment whatever work came before.
#ifndef FCGI_BASE_EXACT_SLEEP_H_
#define FCGI_BASE_EXACT_SLEEP_H_

#include <chrono>

namespace reg {

// Sleeps the calling thread until "deadline" (steady_clock, which is
// CLOCK_MONOTONIC here): clock_nanosleep with TIMER_ABSTIME, so no
// relative wait is computed late and a signal (EINTR) only resumes the
// same deadline, with the thread's timer slack at 1 ns for the sleep (its
// default, 50 us, lets the kernel wake it up to that much later, by an
// amount that varies) and set back after. Returns at once for a deadline
// already past. Thread-safe: it touches only the calling thread.
void SleepUntilExactly(std::chrono::steady_clock::time_point deadline);

}  // namespace reg

#endif  // FCGI_BASE_EXACT_SLEEP_H_
