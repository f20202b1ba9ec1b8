#include "handlers/handlers.h"

namespace reg {

Router MakeRouter() {
  return Router({
      {"GET", "/", HandleIndex},
      {"POST", "/register", HandleRegister, /*same_site_only=*/true},
      {"GET", "/register/sent", HandleSent},
      {"GET", "/register/status", HandleStatus},
      {"POST", "/register/resend", HandleResend, /*same_site_only=*/true},
      {"GET", "/activate", HandleActivateGet},
      {"POST", "/activate", HandleActivatePost, /*same_site_only=*/true},
      {"GET", "/healthz", HandleHealth},
      {"GET", "/internal/metrics", HandleMetrics},
      {"POST", "/internal/mail", HandleInternalMail},
  });
}

Result<Fields> ReadFields(const Request& request) {
  if (request.body_too_large) {
    return Status(Code::kTooLarge,
                  "body over " + std::to_string(kMaxBodyBytes));
  }
  Result<BodyKind> kind = BodyKindFor(request.content_type);
  if (!kind.ok()) return kind.status();
  if (request.body_short)
    return Status::Malformed("body shorter than its length");
  return ParseBody(kind.value(), request.body);
}

const Messages& LanguageOf(const Request& request, const Context& context) {
  return context.services.catalogues->Choose(request.accept_language);
}

Reply Answer(Response response) {
  Reply reply;
  reply.response = std::move(response);
  return reply;
}

}  // namespace reg
