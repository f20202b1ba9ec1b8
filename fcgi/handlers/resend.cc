// POST /register/resend: "send it again". Always the accepted answer of
// POST /register for a valid address, so it tells nobody whether the
// address has an account; the mail follows the answer (a new link, the
// "account exists" notice, or the "no account uses this address" mail).
#include <chrono>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/token.h"
#include "handlers/handlers.h"
#include "http/html.h"

namespace reg {
namespace {

// The least time an accepted resend takes to answer, counted from its
// arrival at the worker (Request::arrived). The three kinds of address do
// different work before the answer (an unverified one mints a new link for
// its registration; a verified one and an unknown one render other mails):
// on a quiet 2-core host their medians lay 0.5-0.7 ms apart, against
// 0.05 ms between two runs of one address (tests/bench/enumeration.py),
// with a p99 of about 11 ms. Answering no sooner than this hides that
// difference: the request thread sleeps to an absolute deadline, 1 ns
// timer slack, as the last thing before the answer's bytes (Reply::
// not_before). It holds a request thread that long, for a post RATE_LIMIT
// already counts.
constexpr std::chrono::milliseconds kResendFloor(25);

}  // namespace

Result<Reply> HandleResend(const Request& request, Context& context) {
  const Services& services = context.services;
  const Config& config = *services.config;
  Result<Fields> fields = ReadFields(request);
  if (!fields.ok()) return fields.status();
  auto it = fields.value().find("email");
  const std::string email(
      TrimSpace(it != fields.value().end() ? it->second : std::string()));
  // The page, its messages and the mail in the request's language.
  const Messages& m = LanguageOf(request, context);
  const std::string email_key = EmailError(email);
  if (!email_key.empty()) {
    const std::string email_error = FieldMessage(m, email_key);
    if (request.WantsJson()) {
      return Answer(Response::Json(
          422, nlohmann::json{{"errors", {{"email", email_error}}}}.dump()));
    }
    return Answer(Response::Html(422, ResendPage(m, email, email_error)));
  }
  NewRegistration reg;  // no password: the latest registration's
  Result<LinkTexts> link = NewLink(services, email, reg);
  if (!link.ok()) return link.status();
  // The new link is for the registration whose receipt this browser's
  // cookie holds (it registered here), else for the newest.
  for (const std::string& r : CookieReceipts(request, config)) {
    reg.cookie_receipt_hashes.push_back(ReceiptHash(r));
  }
  // Its mail is dated with that registration, not with this resend: one
  // read, whatever the address, before the mails are rendered.
  Result<ResendRegistration> target = context.store.ResendTarget(reg);
  if (!target.ok()) return target.status();
  reg.registration_hash = target.value().hash;
  const std::int64_t registered_s = target.value().registered_ms > 0
                                        ? target.value().registered_ms / 1000
                                        : services.clock->NowS();
  Result<RegistrationMails> mails =
      PrepareMails(services, m, email, link.value(), registered_s,
                   /*resend=*/true);
  if (!mails.ok()) return mails.status();
  Result<RegisterOutcome> outcome =
      context.store.Resend(reg, LimitsFrom(config), mails.value());
  if (!outcome.ok()) return outcome.status();
  // A resend's receipt sets no cookie: it proves nothing.
  Reply reply = Accepted(request, outcome.value().job_to_post(),
                         link.value().receipt, "");
  reply.not_before = request.arrived + kResendFloor;
  return reply;
}

}  // namespace reg
