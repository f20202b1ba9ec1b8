// GET /activate?token=T shows one button and changes nothing (mail
// scanners open every link); POST /activate verifies the account.
#include <nlohmann/json.hpp>

#include "crypto/code.h"
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

// Verifies the account of "token_hash" (LookUpToken's "info"), the person
// proven: "your email is verified", or "already verified" for a used
// token or an account another link or code verified first.
Result<Reply> VerifyProven(const Request& request, Context& context,
                           const std::string& token_hash,
                           const TokenInfo& info) {
  const Messages& m = LanguageOf(request, context);
  // A used link (a double click) says so again; once the address is
  // verified, another registration's link changes nothing.
  if (info.state == TokenState::kUsed || info.account_verified) {
    return Answer(request.WantsJson()
                      ? Response::Json(200, R"({"status":"active"})")
                      : Response::Html(200, AlreadyVerifiedPage(m)));
  }
  Result<std::optional<PreparedEvent>> event =
      EventFor(context.services, context.store, token_hash);
  if (!event.ok()) return event.status();
  Result<ActivateOutcome> done =
      context.store.Activate(token_hash, event.value());
  if (!done.ok()) return done.status();
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

// A wrong code (or a receipt that takes none): 401 {"status":"wrong_code"},
// or the "check your inbox" page of "receipt" again with the error beside
// the code.
Result<Reply> WrongCode(const Request& request, Context& context,
                        const std::string& receipt) {
  if (request.WantsJson()) {
    return Answer(Response::Json(401, R"({"status":"wrong_code"})"));
  }
  Result<ReceiptView> view = ReceiptViewOf(context, receipt);
  if (!view.ok()) return view.status();
  const Messages& m = LanguageOf(request, context);
  view.value().code_form = true;
  view.value().code_error = m.Text("code.wrong");
  Response response = Response::Html(401, SentPage(m, &view.value()));
  return Answer(std::move(response));
}

// POST /activate with "receipt" and "code" (CONTRACT section 8): verifies
// like the link from the registering browser when the code is the one
// mailed for the registration whose own receipt this is. Every wrong code
// with a live receipt, whatever receipt, counts for its mailbox, after the
// same work: a look-up, a MAC, a write.
Result<Reply> ActivateWithCode(const Request& request, Context& context,
                               const Fields& fields) {
  const CodeMac* codes = context.services.codes;
  if (codes == nullptr) return Status::Internal("no code key");
  auto field = [&](const char* name) {
    auto it = fields.find(name);
    return it != fields.end() ? it->second : std::string();
  };
  const std::string receipt = field("receipt");
  const std::string code = NormalizeCode(field("code"));
  // A code that cannot be one (not 6 digits) is wrong without a try.
  if (!LooksLikeReceipt(receipt) || code.empty()) {
    return WrongCode(request, context, receipt);
  }
  CodeTry attempt;
  attempt.receipt_hash = ReceiptHash(receipt);
  attempt.window_ms = context.services.config->token_ttl_s * 1000LL;
  Result<CodeReceipt> known = context.store.CodeReceiptOf(attempt.receipt_hash);
  if (!known.ok() && known.status().code() != Code::kNotFound) {
    return known.status();
  }
  if (!known.ok()) {
    // No receipt, no mailbox to count for: the MAC all the same.
    (void)codes->Mac("", code);
    return WrongCode(request, context, receipt);
  }
  attempt.mailbox = known.value().mailbox;
  attempt.code_mac = codes->Mac(attempt.mailbox, code);
  if (attempt.code_mac.empty()) return Status::Internal("code mac failed");
  Result<CodeOutcome> judged = context.store.TryCode(attempt);
  if (!judged.ok()) return judged.status();
  switch (judged.value().verdict) {
    case CodeVerdict::kTooMany: {
      if (request.WantsJson()) {
        return Answer(Response::Json(410, R"({"status":"too_many_codes"})"));
      }
      return Answer(
          Response::Html(410, CodeTooManyPage(LanguageOf(request, context))));
    }
    case CodeVerdict::kWrong:
      return WrongCode(request, context, receipt);
    case CodeVerdict::kRight:
      break;
  }
  const std::string& token_hash = judged.value().token_hash;
  Result<TokenInfo> info = context.store.LookUpToken(token_hash);
  if (!info.ok()) return info.status();  // expired since: 410
  return VerifyProven(request, context, token_hash, info.value());
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
  // A receipt and a code instead of a token (CONTRACT section 8).
  if (it == fields.value().end() && fields.value().count("receipt") > 0) {
    return ActivateWithCode(request, context, fields.value());
  }
  const std::string token =
      it != fields.value().end() ? it->second : std::string();
  if (!LooksLikeToken(token)) return Status::NotFound("malformed token");
  Result<TokenInfo> info = context.store.LookUpToken(TokenHash(token));
  if (!info.ok()) return info.status();  // 404, 410
  if (info.value().state != TokenState::kUsed &&
      !info.value().account_verified) {
    Reply asked;
    Status person = CheckPerson(request, context, token, info.value(),
                                fields.value(), &asked);
    if (person.code() == Code::kUnauthenticated) return asked;
    if (!person.ok()) return person;
  }
  return VerifyProven(request, context, TokenHash(token), info.value());
}

}  // namespace reg
