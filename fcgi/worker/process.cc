#include "worker/process.h"

#include <curl/curl.h>
#include <fcgiapp.h>

#include <cstdlib>

#include "base/log.h"
#include "worker/signals.h"

namespace reg {

Status SetUpProcess() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return Status::Internal("curl_global_init failed");
  }
  SetUpSignals();
  if (FCGX_Init() != 0) return Status::Internal("FCGX_Init failed");
  return Status();
}

int EndProcess(bool clean, LastOneOut& last_one_out) {
  if (!clean) {
    Log("stopped (work in flight left to the sweep)");
    last_one_out.Leave();
    std::_Exit(0);
  }
  curl_global_cleanup();
  last_one_out.Leave();
  Log("stopped");
  return 0;
}

}  // namespace reg
