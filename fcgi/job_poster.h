// JobPoster: posts a signed mail job to the service's /internal/mail.
#ifndef FCGI_JOB_POSTER_H_
#define FCGI_JOB_POSTER_H_

#include <cstdint>
#include <string>

#include "clock.h"
#include "handles.h"
#include "job_signer.h"
#include "status.h"

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

#endif  // FCGI_JOB_POSTER_H_
