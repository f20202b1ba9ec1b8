// hello_fcgi: the benchmark's ceiling. A threaded libfcgi responder shaped
// like fcgi/main.cc's loop (FCGX_Init once, THREADS threads each with its
// own FCGX_Request on fd 0, the body read, FCGX_Finish_r) that answers
// 200 "ok" to everything, /healthz included. tools/stack runs it in place
// of the registrar when REGISTRAR_BIN points at it, so it sits behind the
// same nginx config, the same threads and the same keepalive.
#include <fcgiapp.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kMaxBody = 16 * 1024;  // the registrar's cap
constexpr char kAnswer[] =
    "Status: 200 OK\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 2\r\n\r\n"
    "ok";

void Serve() {
  FCGX_Request r;
  FCGX_InitRequest(&r, 0, 0);
  char body[kMaxBody];
  while (FCGX_Accept_r(&r) == 0) {
    // Read the body as the registrar does (up to CONTENT_LENGTH, capped).
    const char* cl = FCGX_GetParam("CONTENT_LENGTH", r.envp);
    long left = cl != nullptr ? std::atol(cl) : 0;
    if (left > kMaxBody) left = kMaxBody;
    while (left > 0) {
      int k = FCGX_GetStr(body, static_cast<int>(left), r.in);
      if (k <= 0) break;
      left -= k;
    }
    FCGX_PutStr(kAnswer, sizeof kAnswer - 1, r.out);
    FCGX_Finish_r(&r);
  }
  FCGX_Free(&r, 1);
}

}  // namespace

int main() {
  const char* env = std::getenv("THREADS");
  const int threads = env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 8;
  // SIGTERM/SIGINT go to sigwait below; every thread inherits the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (FCGX_Init() != 0) {
    std::fprintf(stderr, "hello_fcgi: FCGX_Init failed\n");
    return 1;
  }
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; i++) pool.emplace_back(Serve);
  int sig = 0;
  sigwait(&stop, &sig);
  std::_Exit(0);  // nothing to flush: no state outlives a request
}
