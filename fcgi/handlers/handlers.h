// The service's routes. Each handler answers one {method, path}.
#ifndef FCGI_HANDLERS_HANDLERS_H_
#define FCGI_HANDLERS_HANDLERS_H_

#include "handlers/router.h"
#include "http/form.h"

namespace reg {

Result<Reply> HandleIndex(const Request& request, Context& context);
Result<Reply> HandleRegister(const Request& request, Context& context);
Result<Reply> HandleSent(const Request& request, Context& context);
Result<Reply> HandleResend(const Request& request, Context& context);
Result<Reply> HandleActivateGet(const Request& request, Context& context);
Result<Reply> HandleActivatePost(const Request& request, Context& context);
Result<Reply> HandleHealth(const Request& request, Context& context);
Result<Reply> HandleMetrics(const Request& request, Context& context);
Result<Reply> HandleInternalMail(const Request& request, Context& context);

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

// The accepted answer of POST /register (and of every resend): 202 JSON or
// 303 to /register/sent, the same whatever the address; "job_id" (0:
// none) is posted after it.
Reply Accepted(const Request& request, std::int64_t job_id);

// Renders and seals both mails a registration or a resend may queue for
// "to" (the verification mail with "token"'s link, and the "account
// exists" notice) in the language "m" of the request that causes them,
// before the store's transaction picks one: fixed from then on, whenever
// and however often it is sent. Both, every time: the work does not
// depend on the address.
Result<RegistrationMails> PrepareMails(const Services& services,
                                       const Messages& m, const std::string& to,
                                       const std::string& token);

}  // namespace reg

#endif  // FCGI_HANDLERS_HANDLERS_H_
