// GET /activate?token=T shows one button and changes nothing (mail
// scanners open every link); POST /activate verifies the account.
#include <nlohmann/json.hpp>

#include "crypto/password.h"
#include "crypto/token.h"
#include "events/event.h"
#include "handlers/handlers.h"
#include "http/html.h"

namespace reg {
namespace {

// 422 with the activation page again, the message beside the password.
Reply WrongPassword(const Request& request, const Context& context,
                    const std::string& token, const char* key) {
  const Messages& m = LanguageOf(request, context);
  const std::string message = m.Text(key);
  if (request.WantsJson()) {
    nlohmann::json j = {{"errors", {{"password", message}}}};
    return Answer(Response::Json(422, j.dump()));
  }
  return Answer(Response::Html(422, ActivatePage(m, token, true, message)));
}

// ACTIVATE_ASKS_PASSWORD=1: the password typed must be the one of the
// registration the link was mailed for. OK, or the 422 answer in *reply.
Status CheckActivationPassword(const Request& request, Context& context,
                               const std::string& token,
                               const std::string& password, Reply* reply) {
  const Config& config = *context.services.config;
  std::string hash;
  Result<TokenState> state = context.store.CheckToken(TokenHash(token), &hash);
  if (!state.ok()) return state.status();  // 404, 410 first
  if (password.empty()) {
    *reply =
        WrongPassword(request, context, token, "activate.password_missing");
    return Status::InvalidArgument("no password");
  }
  HashSlot slot(context.services.hash_gate,
                std::chrono::milliseconds(config.hash_wait_ms));
  if (!slot.held()) return Status::Unavailable("all hash slots busy");
  Result<bool> match = VerifyPassword(password, hash);
  if (!match.ok()) return match.status();
  if (!match.value()) {
    *reply = WrongPassword(request, context, token, "activate.password_wrong");
    return Status::InvalidArgument("wrong password");
  }
  return Status();
}

// The account.verified event of a first verification, when WEBHOOK_URL is
// set: its id and its body, sealed like a mail, rendered before the
// store's transaction for the account the token is for (as of now, the
// time of the verification). None for a token that is used already (no
// event follows) or without WEBHOOK_URL.
Result<std::optional<PreparedEvent>> EventFor(const Services& services,
                                              Store& store,
                                              const std::string& token_hash) {
  std::optional<PreparedEvent> event;
  if (services.config->webhook_url.empty()) return event;
  Result<TokenInfo> info = store.LookUpToken(token_hash);
  if (!info.ok()) return info.status();  // 404, 410
  if (info.value().state == TokenState::kUsed) return event;
  Result<std::string> id = NewEventId();
  if (!id.ok()) return id.status();
  Result<std::string> sealed = services.sealer->Seal(
      AccountVerifiedBody(id.value(), services.clock->NowS(),
                          info.value().account_id, info.value().email));
  if (!sealed.ok()) return sealed.status();
  event.emplace();
  event->account_id = info.value().account_id;
  event->job = PreparedJob{id.value(), std::move(sealed).value()};
  return event;
}

}  // namespace

Result<Reply> HandleActivateGet(const Request& request, Context& context) {
  const std::string token = request.QueryParam("token");
  if (!LooksLikeToken(token)) return Status::NotFound("malformed token");
  Result<TokenState> state = context.store.CheckToken(TokenHash(token));
  if (!state.ok()) return state.status();
  if (request.WantsJson()) {
    return Answer(Response::Json(200, state.value() == TokenState::kUsed
                                          ? R"({"status":"used"})"
                                          : R"({"status":"valid"})"));
  }
  return Answer(Response::Html(
      200, ActivatePage(LanguageOf(request, context), token,
                        context.services.config->activate_asks_password)));
}

Result<Reply> HandleActivatePost(const Request& request, Context& context) {
  Result<Fields> fields = ReadFields(request);
  if (!fields.ok()) return fields.status();
  auto it = fields.value().find("token");
  const std::string token =
      it != fields.value().end() ? it->second : std::string();
  if (!LooksLikeToken(token)) return Status::NotFound("malformed token");
  if (context.services.config->activate_asks_password) {
    auto pw = fields.value().find("password");
    Reply refused;
    Status s = CheckActivationPassword(
        request, context, token,
        pw != fields.value().end() ? pw->second : std::string(), &refused);
    if (s.code() == Code::kInvalidArgument) return refused;
    if (!s.ok()) return s;
  }
  Result<std::optional<PreparedEvent>> event =
      EventFor(context.services, context.store, TokenHash(token));
  if (!event.ok()) return event.status();
  Result<ActivateOutcome> done =
      context.store.Activate(TokenHash(token), event.value());
  if (!done.ok()) return done.status();
  const Messages& m = LanguageOf(request, context);
  Reply reply = Answer(
      request.WantsJson()
          ? Response::Json(200, R"({"status":"active"})")
          : Response::Html(200, done.value().state == Activation::kVerified
                                    ? VerifiedPage(m)
                                    : AlreadyVerifiedPage(m)));
  // The event goes out after the answer, as a registration's mail does.
  if (done.value().event_job_id != 0) {
    reply.after = PostJob{done.value().event_job_id};
  }
  return reply;
}

}  // namespace reg
