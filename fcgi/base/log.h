// Log: one line per event on stderr, "<UTC time> registrar[<pid>] <text>".
// Never pass a password, token, secret or request body.
#ifndef FCGI_BASE_LOG_H_
#define FCGI_BASE_LOG_H_

namespace reg {

void Log(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace reg

#endif  // FCGI_BASE_LOG_H_
