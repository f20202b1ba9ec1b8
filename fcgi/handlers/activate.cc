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

// The page asking for the password chosen at the registration the link
// is for, "error_key" ("" for none) beside it: 200 HTML, or 401 JSON
// {"status": "password_required" or "wrong_password"}.
Reply AskPassword(const Request& request, const Context& context,
                  const std::string& token, const TokenInfo& info,
                  const char* json_status, const char* error_key) {
  if (request.WantsJson()) {
    return Answer(Response::Json(
        401, std::string(R"({"status":")") + json_status + "\"}"));
  }
  const Messages& m = LanguageOf(request, context);
  return Answer(Response::Html(
      200, ActivatePasswordPage(m, token, info.registered_ms / 1000,
                                error_key[0] != '\0' ? m.Text(error_key)
                                                      : std::string())));
}

// The registering browser (its cookie holds the own receipt of the POST
// /register that made the link's registration), or the password chosen
// at that registration, proves the person. OK, or the answer in *reply
// (Unauthenticated), or 410 after kMaxPasswordTries wrong ones.
Status CheckPerson(const Request& request, Context& context,
                   const std::string& token, const TokenInfo& info,
                   const Fields& fields, Reply* reply) {
  const Config& config = *context.services.config;
  if (info.password_tries >= kMaxPasswordTries) {
    return Status::Gone("too many wrong passwords");
  }
  std::vector<std::string> hashes;
  for (const std::string& r : CookieReceipts(request, config)) {
    hashes.push_back(ReceiptHash(r));
  }
  Result<bool> proven =
      context.store.ReceiptProves(hashes, info.registration_hash);
  if (!proven.ok()) return proven.status();
  if (proven.value()) return Status();
  auto pw = fields.find("password");
  if (pw == fields.end() || pw->second.empty()) {
    *reply = AskPassword(request, context, token, info, "password_required",
                         "");
    return Status::Unauthenticated("password required");
  }
  HashSlot slot(context.services.hash_gate,
                std::chrono::milliseconds(config.hash_wait_ms));
  if (!slot.held()) return Status::Unavailable("all hash slots busy");
  Result<bool> match = VerifyPassword(pw->second, info.password_hash);
  if (!match.ok()) return match.status();
  if (match.value()) return Status();
  Result<int> tries = context.store.CountWrongPassword(TokenHash(token));
  if (!tries.ok()) return tries.status();
  *reply = AskPassword(request, context, token, info, "wrong_password",
                       "activate.password_wrong");
  return Status::Unauthenticated("wrong password");
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
  return Answer(
      Response::Html(200, ActivatePage(LanguageOf(request, context), token)));
}

Result<Reply> HandleActivatePost(const Request& request, Context& context) {
  Result<Fields> fields = ReadFields(request);
  if (!fields.ok()) return fields.status();
  auto it = fields.value().find("token");
  const std::string token =
      it != fields.value().end() ? it->second : std::string();
  if (!LooksLikeToken(token)) return Status::NotFound("malformed token");
  Result<TokenInfo> info = context.store.LookUpToken(TokenHash(token));
  if (!info.ok()) return info.status();  // 404, 410
  const Messages& lang = LanguageOf(request, context);
  // A used link (a double click) says so again; once the address is
  // verified, another registration's link changes nothing.
  if (info.value().state == TokenState::kUsed ||
      info.value().account_verified) {
    return Answer(request.WantsJson()
                      ? Response::Json(200, R"({"status":"active"})")
                      : Response::Html(200, AlreadyVerifiedPage(lang)));
  }
  Reply asked;
  Status person =
      CheckPerson(request, context, token, info.value(), fields.value(), &asked);
  if (person.code() == Code::kUnauthenticated) return asked;
  if (!person.ok()) return person;
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
