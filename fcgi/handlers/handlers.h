// The service's routes. Each handler answers one {method, path}.
#ifndef FCGI_HANDLERS_HANDLERS_H_
#define FCGI_HANDLERS_HANDLERS_H_

#include "handlers/router.h"
#include "http/form.h"
#include "http/html.h"

#include <string>
#include <vector>

namespace reg {

Result<Reply> HandleIndex(const Request& request, Context& context);
Result<Reply> HandleRegister(const Request& request, Context& context);
Result<Reply> HandleSent(const Request& request, Context& context);
Result<Reply> HandleResend(const Request& request, Context& context);
Result<Reply> HandleStatus(const Request& request, Context& context);
Result<Reply> HandleActivateGet(const Request& request, Context& context);
Result<Reply> HandleActivatePost(const Request& request, Context& context);
Result<Reply> HandleHealth(const Request& request, Context& context);
Result<Reply> HandleMetrics(const Request& request, Context& context);
Result<Reply> HandleInternalMail(const Request& request, Context& context);

// What the "check your inbox" page shows of "receipt" (?r=R): its mail's
// state, and the code form for a registration's own receipt. An unknown,
// expired or malformed receipt is a view that says it can no longer tell.
Result<ReceiptView> ReceiptViewOf(Context& context, const std::string& receipt);

// The route table of the service.
Router MakeRouter();

// The fields of a form or JSON body: 413 too large, 415 other type, 400
// unreadable.
Result<Fields> ReadFields(const Request& request);

// The language of the answer to "request": its Accept-Language's first
// language there is a catalogue for, else English.
const Messages& LanguageOf(const Request& request, const Context& context);

// A reply with no post-answer work.
Reply Answer(Response response);

// The token lifetime and mail caps a registration or a resend obeys.
RegisterLimits LimitsFrom(const Config& config);

// A new link's secrets for "email": a token, a receipt and the mail's
// code, whose hashes (the code's MAC) go into "reg" with the address and
// its keys (email, email_norm, mailbox, token_hash, receipt_hash,
// code_mac). The texts go into the mail and the answer.
struct LinkTexts {
  std::string token;
  std::string receipt;
  std::string code;
};
Result<LinkTexts> NewLink(const Services& services, const std::string& email,
                          NewRegistration& reg);

// The accepted answer of POST /register (and of every resend): 202 JSON
// {"status":"verification_sent","receipt":R} or 303 to /register/sent?r=R,
// the same whatever the address but for the receipt; "set_cookie" (""
// for none) goes with it as Set-Cookie; "job_id" (0: none) is posted
// after it.
Reply Accepted(const Request& request, std::int64_t job_id,
               const std::string& receipt, const std::string& set_cookie);

// The receipt cookie's name: __Host-registrar_receipt when BASE_URL is
// https, registrar_receipt otherwise.
std::string ReceiptCookieName(const Config& config);
// The receipts the request's cookie holds (at most 3, newest first), each
// well-formed.
std::vector<std::string> CookieReceipts(const Request& request,
                                        const Config& config);
// The Set-Cookie value of a POST /register answer: "receipt" first, then
// the cookie's others, at most 3; HttpOnly, SameSite=Lax, Path=/, Max-Age
// TOKEN_TTL_S (and Secure on https).
std::string ReceiptCookie(const Request& request, const Config& config,
                          const std::string& receipt);
// GET /register/status's body: {"state","since","detail"[,"retry_at"]
// [,"reply"]}, "detail" null when there is none.
std::string ReceiptStatusJson(const ReceiptStatus& status);

// Renders and seals every mail a registration or a "resend" may queue for
// "to" (the verification mail with "link"'s token and code, dated with the
// registration it is for, made at "registered_s" (Unix seconds); the
// "account exists" notice; for a resend, the "no account uses this
// address" mail, which a registration never queues: it makes the account)
// in the language "m" of the request that causes them, before the store's
// transaction picks one: fixed from then on, whenever and however often it
// is sent. All of them, every time: the work does not depend on the
// address.
Result<RegistrationMails> PrepareMails(const Services& services,
                                       const Messages& m, const std::string& to,
                                       const LinkTexts& link,
                                       std::int64_t registered_s, bool resend);

}  // namespace reg

#endif  // FCGI_HANDLERS_HANDLERS_H_
