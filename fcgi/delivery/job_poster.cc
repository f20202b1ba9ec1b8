#include "delivery/job_poster.h"

#include "base/json_post.h"

namespace reg {

Status JobPoster::Post(std::int64_t id) {
  const std::string body = "{\"job_id\":" + std::to_string(id) + "}";
  const std::int64_t ts = clock_->NowS();
  const std::string sig = signer_->Sign(ts, body);
  if (sig.empty()) return Status::Internal("sign job");
  JsonPostResult r = PostJson(
      &curl_, url_, body,
      {"X-Job-Timestamp: " + std::to_string(ts), "X-Job-Signature: " + sig},
      2000, 5000);
  if (r.rc != CURLE_OK) {
    return Status::Unavailable("post job " + std::to_string(id) + ": " +
                               r.error);
  }
  if (r.status != 200 && r.status != 202) {
    return Status::Unavailable("post job " + std::to_string(id) + ": HTTP " +
                               std::to_string(r.status));
  }
  return Status();
}

}  // namespace reg
