// POST /internal/mail: the signed mail job. Verifies, reads the job's state
// (no write: a replayed or repeated post costs no transaction), answers, and
// leaves the claim and the send to the JobPool after the answer.
#include <nlohmann/json.hpp>

#include "handlers/handlers.h"

namespace reg {

// Only requests from nginx's internal listener get here (CheckInternal).
Result<Reply> HandleInternalMail(const Request& request, Context& context) {
  if (request.body_too_large) return Status(Code::kTooLarge, "job body");
  Status s = context.services.signer->Verify(
      request.job_timestamp, request.job_signature, request.body,
      context.services.clock->NowS());
  if (!s.ok()) return s;
  nlohmann::json j = nlohmann::json::parse(request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("job_id") ||
      !j["job_id"].is_number_integer() ||
      j["job_id"].get<std::int64_t>() <= 0) {
    return Status::Malformed("job body needs a positive integer job_id");
  }
  const std::int64_t id = j["job_id"].get<std::int64_t>();
  Result<JobState> found = context.outbox.State(id);
  if (!found.ok()) return found.status();
  Reply reply;
  const JobState state = found.value();
  if (state == JobState::kQueued) {
    // Claimed just before SMTP; if another post or a sweep claims it
    // first, that one sends it, once.
    reply.response = Response::Json(202, R"({"status":"queued"})");
    reply.after = SendJob{id};
  } else if (state == JobState::kSending) {
    // Another thread or process holds it: it will be sent once.
    reply.response = Response::Json(202, R"({"status":"sending"})");
  } else {
    nlohmann::json body = {{"status", JobStateName(state)}};
    reply.response = Response::Json(200, body.dump());
  }
  return reply;
}

}  // namespace reg
