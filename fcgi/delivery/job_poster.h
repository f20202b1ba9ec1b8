// JobPoster: posts a signed job (a mail or an event) to the service's
// /internal/mail.
#ifndef FCGI_DELIVERY_JOB_POSTER_H_
#define FCGI_DELIVERY_JOB_POSTER_H_

#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/curl_handles.h"
#include "base/status.h"
#include "crypto/job_signer.h"

namespace reg {

// One per thread; keeps its HTTP connection to nginx between posts.
class JobPoster {
 public:
  JobPoster(std::string url, const JobSigner* signer, const Clock* clock)
      : url_(std::move(url)), signer_(signer), clock_(clock) {}

  // Posts {"job_id": id}. OK on 200 or 202; kUnavailable otherwise (the
  // job stays queued and a sweep sends it).
  Status Post(std::int64_t id);

 private:
  std::string url_;
  const JobSigner* signer_;
  const Clock* clock_;
  CurlEasy curl_;
};

}  // namespace reg

#endif  // FCGI_DELIVERY_JOB_POSTER_H_
