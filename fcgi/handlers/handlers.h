// The service's routes. Each handler answers one {method, path}.
#ifndef FCGI_HANDLERS_HANDLERS_H_
#define FCGI_HANDLERS_HANDLERS_H_

#include "handlers/router.h"
#include "http/form.h"

namespace reg {

Result<Reply> HandleIndex(const Request& request, Context& context);
Result<Reply> HandleRegister(const Request& request, Context& context);
Result<Reply> HandleSent(const Request& request, Context& context);
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

}  // namespace reg

#endif  // FCGI_HANDLERS_HANDLERS_H_
