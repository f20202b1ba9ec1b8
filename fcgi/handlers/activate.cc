// GET /activate?token=T shows one button and changes nothing (mail
// scanners open every link); POST /activate verifies the account.
#include "crypto/token.h"
#include "handlers/handlers.h"
#include "http/html.h"

namespace reg {

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
  return Answer(Response::Html(200, ActivatePage(token)));
}

Result<Reply> HandleActivatePost(const Request& request, Context& context) {
  Result<Fields> fields = ReadFields(request);
  if (!fields.ok()) return fields.status();
  auto it = fields.value().find("token");
  const std::string token =
      it != fields.value().end() ? it->second : std::string();
  if (!LooksLikeToken(token)) return Status::NotFound("malformed token");
  Result<Activation> done = context.store.Activate(TokenHash(token));
  if (!done.ok()) return done.status();
  if (request.WantsJson()) {
    return Answer(Response::Json(200, R"({"status":"active"})"));
  }
  return Answer(Response::Html(200, done.value() == Activation::kVerified
                                        ? VerifiedPage()
                                        : AlreadyVerifiedPage()));
}

}  // namespace reg
