// GET /, GET /register/sent, GET /healthz.
#include "handlers/handlers.h"
#include "http/html.h"

namespace reg {

Result<Reply> HandleIndex(const Request& request, Context& context) {
  return Answer(Response::Html(
      200, RegisterPage(LanguageOf(request, context), RegisterForm())));
}

Result<Reply> HandleSent(const Request& request, Context& context) {
  return Answer(Response::Html(200, SentPage(LanguageOf(request, context))));
}

Result<Reply> HandleHealth(const Request&, Context& context) {
  Status s = context.store.Ping();
  if (!s.ok()) return Answer(Response::Text(503, "unavailable"));
  return Answer(Response::Text(200, "ok"));
}

}  // namespace reg
